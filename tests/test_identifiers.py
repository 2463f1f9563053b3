"""Tests for avenrich.identifiers: the link-pattern table, DOI/arXiv normalisation and ACL DOI candidates."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import assume, given

from avenrich import identifiers
from avenrich.identifiers import (
    PATTERNS,
    acl_doi_candidate,
    extract_ids,
    match_link,
    normalise_arxiv,
    normalise_doi,
)
from avenrich.inputs import read_input
from avenrich.listing import parse_markdown
from avenrich.model import Ids
from strategies import dois

# (url, host, ids, venue_hint, year_hint). Every row of PATTERNS has positives here, and every host has
# negatives: pages of the same site that are not a paper, or that do not carry the identifier.
CASES: list[tuple[str, str, dict[str, str], str | None, int | None]] = [
    # doi.org
    ("https://doi.org/10.1145/3126686.3126723", "doi", {"doi": "10.1145/3126686.3126723"}, None, None),
    ("http://dx.doi.org/10.1007/S10489-014-0629-7", "doi", {"doi": "10.1007/s10489-014-0629-7"}, None, None),
    (
        "https://doi.org/10.1007%2Fs11263-019-01150-y",
        "doi",
        {"doi": "10.1007/s11263-019-01150-y"},
        None,
        None,
    ),
    ("https://doi.org/10.1145/3387164?download=true", "doi", {"doi": "10.1145/3387164"}, None, None),
    (
        "https://doi.org/10.48550/arXiv.2106.01689",
        "doi",
        {"doi": "10.48550/arxiv.2106.01689", "arxiv": "2106.01689"},
        None,
        None,
    ),
    (
        "https://doi.org/10.18653/v1/D18-1382",
        "doi",
        {"doi": "10.18653/v1/d18-1382", "acl": "D18-1382"},
        None,
        None,
    ),
    ("https://doi.org/", "other", {}, None, None),
    ("https://doi.org/10.1145", "other", {}, None, None),
    ("https://www.doi.org/the-identifier/what-is-a-doi/", "other", {}, None, None),
    # arXiv
    ("https://arxiv.org/abs/2106.01689", "arxiv", {"arxiv": "2106.01689"}, None, None),
    ("https://arxiv.org/abs/2106.01689v3", "arxiv", {"arxiv": "2106.01689"}, None, None),
    ("https://arxiv.org/pdf/2106.01689v3.pdf", "arxiv", {"arxiv": "2106.01689"}, None, None),
    ("https://arxiv.org/pdf/2106.01689", "arxiv", {"arxiv": "2106.01689"}, None, None),
    ("https://arxiv.org/html/2106.01689v1", "arxiv", {"arxiv": "2106.01689"}, None, None),
    ("http://export.arxiv.org/abs/1709.04343", "arxiv", {"arxiv": "1709.04343"}, None, None),
    ("https://www.arxiv.org/abs/0704.0001/", "arxiv", {"arxiv": "0704.0001"}, None, None),
    ("https://arxiv.org/abs/1912.11637?context=cs", "arxiv", {"arxiv": "1912.11637"}, None, None),
    ("https://arxiv.org/abs/hep-th/9901001", "arxiv", {"arxiv": "hep-th/9901001"}, None, None),
    ("https://arxiv.org/pdf/hep-th/9901001v2.pdf", "arxiv", {"arxiv": "hep-th/9901001"}, None, None),
    ("https://arxiv.org/abs/math.GT/0309136", "arxiv", {"arxiv": "math.GT/0309136"}, None, None),
    ("https://arxiv.org/list/cs.CV/recent", "other", {}, None, None),
    ("https://arxiv.org/abs/2106.01689junk", "other", {}, None, None),
    ("https://arxiv.org/abs/2106.0168", "other", {}, None, None),  # 4 digits after 2015
    ("https://arxiv.org/abs/1234.56789", "other", {}, None, None),  # month 34
    ("https://arxiv.org/abs/0612.0001", "other", {}, None, None),  # before the new scheme
    ("https://arxiv.org/a/petridis_s_1", "other", {}, None, None),
    ("https://notarxiv.org/abs/2106.01689", "other", {}, None, None),
    # ACM
    (
        "https://dl.acm.org/doi/abs/10.1145/3126686.3126723",
        "acm",
        {"doi": "10.1145/3126686.3126723"},
        None,
        None,
    ),
    ("https://dl.acm.org/doi/10.1145/3387164", "acm", {"doi": "10.1145/3387164"}, None, None),
    (
        "https://dl.acm.org/doi/pdf/10.1145/3387164?download=true",
        "acm",
        {"doi": "10.1145/3387164"},
        None,
        None,
    ),
    ("https://dl.acm.org/doi/fullHtml/10.1145/3387164", "acm", {"doi": "10.1145/3387164"}, None, None),
    ("https://dl.acm.org/doi/epdf/10.1145/3387164/", "acm", {"doi": "10.1145/3387164"}, None, None),
    ("https://dl.acm.org/doi/book/10.1145/3107990", "acm", {"doi": "10.1145/3107990"}, None, None),
    ("https://dl.acm.org/doi/10.5555/3295222.3295349", "acm", {}, None, None),  # ACM's unregistered prefix
    ("https://dl.acm.org/doi/proceedings/10.1145/3123266", "other", {}, None, None),  # a volume
    ("https://dl.acm.org/profile/81100336573", "other", {}, None, None),
    ("https://dl.acm.org/toc/tog/2017/36/4", "other", {}, None, None),
    # Springer
    (
        "https://link.springer.com/article/10.1007/s10489-014-0629-7",
        "springer",
        {"doi": "10.1007/s10489-014-0629-7"},
        None,
        None,
    ),
    (
        "https://link.springer.com/chapter/10.1007/978-3-030-58621-8_44",
        "springer",
        {"doi": "10.1007/978-3-030-58621-8_44"},
        None,
        None,
    ),
    (
        "https://link.springer.com/chapter/10.1007%2F978-3-030-58621-8_44",
        "springer",
        {"doi": "10.1007/978-3-030-58621-8_44"},
        None,
        None,
    ),
    (
        "https://link.springer.com/content/pdf/10.1007/s11263-019-01150-y.pdf",
        "springer",
        {"doi": "10.1007/s11263-019-01150-y"},
        None,
        None,
    ),
    (
        "https://link.springer.com/book/10.1007/978-3-030-58621-8",
        "springer",
        {"doi": "10.1007/978-3-030-58621-8"},
        None,
        None,
    ),
    ("https://link.springer.com/journal/11263", "other", {}, None, None),
    ("https://link.springer.com/search?query=audio", "other", {}, None, None),
    # Wiley
    (
        "https://onlinelibrary.wiley.com/doi/abs/10.1111/cgf.13946",
        "wiley",
        {"doi": "10.1111/cgf.13946"},
        None,
        None,
    ),
    (
        "https://onlinelibrary.wiley.com/doi/10.1111/cgf.13946/full",
        "wiley",
        {"doi": "10.1111/cgf.13946"},
        None,
        None,
    ),
    (
        "https://onlinelibrary.wiley.com/doi/epdf/10.1111/cgf.13946",
        "wiley",
        {"doi": "10.1111/cgf.13946"},
        None,
        None,
    ),
    (
        "https://agupubs.onlinelibrary.wiley.com/doi/full/10.1029/2019GL085000",
        "wiley",
        {"doi": "10.1029/2019gl085000"},
        None,
        None,
    ),
    ("https://onlinelibrary.wiley.com/journal/14678659", "other", {}, None, None),
    ("https://onlinelibrary.wiley.com/toc/14678659/2020/39/2", "other", {}, None, None),
    # ACL Anthology
    ("https://aclanthology.org/D18-1382/", "acl", {"acl": "D18-1382"}, None, None),
    ("https://aclanthology.org/P19-1239/?ref=https://githubhelp.com", "acl", {"acl": "P19-1239"}, None, None),
    ("https://aclanthology.org/P19-1239.pdf", "acl", {"acl": "P19-1239"}, None, None),
    ("https://aclanthology.org/2020.acl-main.401/", "acl", {"acl": "2020.acl-main.401"}, None, None),
    ("https://aclanthology.org/2020.challengehml-1.1/", "acl", {"acl": "2020.challengehml-1.1"}, None, None),
    ("https://aclanthology.org/2023.starsem-1.14.pdf", "acl", {"acl": "2023.starsem-1.14"}, None, None),
    ("https://www.aclweb.org/anthology/N18-2074", "acl", {"acl": "N18-2074"}, None, None),
    ("https://www.aclweb.org/anthology/N18-2074.pdf", "acl", {"acl": "N18-2074"}, None, None),
    ("https://aclanthology.org/events/acl-2020/", "other", {}, None, None),
    ("https://aclanthology.org/volumes/2020.acl-main/", "other", {}, None, None),
    ("https://aclanthology.org/people/s/soujanya-poria/", "other", {}, None, None),
    ("https://aclanthology.org/P19-1239.bib", "other", {}, None, None),
    ("https://aclanthology.org/P19-1/", "other", {}, None, None),
    # ISCA
    (
        "https://www.isca-speech.org/archive_v0/Interspeech_2019/pdfs/1513.pdf",
        "isca",
        {"doi": "10.21437/interspeech.2019-1513"},
        "Interspeech",
        2019,
    ),
    (
        "https://www.isca-speech.org/archive/Interspeech_2019/pdfs/2680.pdf",
        "isca",
        {"doi": "10.21437/interspeech.2019-2680"},
        "Interspeech",
        2019,
    ),
    (
        "https://www.isca-speech.org/archive/Interspeech_2017/pdfs/0205.PDF",
        "isca",
        {"doi": "10.21437/interspeech.2017-205"},
        "Interspeech",
        2017,
    ),
    (
        "https://www.isca-archive.org/interspeech_2019/park19e_interspeech.pdf",
        "isca",
        {},
        "Interspeech",
        2019,
    ),
    (
        "https://www.isca-speech.org/archive/interspeech_2021/penney21_interspeech.html",
        "isca",
        {},
        "Interspeech",
        2021,
    ),
    ("https://www.isca-speech.org/archive/interspeech_2019/index.html", "other", {}, None, None),
    ("https://www.isca-speech.org/iscaweb/index.php/conferences", "other", {}, None, None),
    ("https://www.isca-speech.org/archive/Interspeech_2019/pdfs/0000.pdf", "other", {}, None, None),
    ("https://www.isca-speech.org/archive_v0/Interspeech_2019/abstracts/1513.html", "other", {}, None, None),
    # PubMed Central
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7098709/", "pmc", {"pmcid": "PMC7098709"}, None, None),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC7098709/", "pmc", {"pmcid": "PMC7098709"}, None, None),
    (
        "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7098709/pdf/nihms-1.pdf",
        "pmc",
        {"pmcid": "PMC7098709"},
        None,
        None,
    ),
    ("https://www.ncbi.nlm.nih.gov/pmc/?term=audio+visual", "other", {}, None, None),
    ("https://pubmed.ncbi.nlm.nih.gov/32296776/", "other", {}, None, None),
    # AAAI
    ("https://ojs.aaai.org/index.php/AAAI/article/view/12024", "aaai", {"aaai": "12024"}, "AAAI", None),
    ("https://ojs.aaai.org/index.php/AAAI/article/view/16231/16038", "aaai", {"aaai": "16231"}, "AAAI", None),
    (
        "https://ojs.aaai.org/index.php/AAAI/article/download/16231/16038",
        "aaai",
        {"aaai": "16231"},
        "AAAI",
        None,
    ),
    ("https://www.aaai.org/ojs/index.php/AAAI/article/view/5361", "aaai", {"aaai": "5361"}, "AAAI", None),
    ("https://ojs.aaai.org/index.php/AAAI/issue/view/386", "other", {}, None, None),
    ("https://ojs.aaai.org/index.php/ICWSM/article/view/7291", "other", {}, None, None),
    ("https://aaai.org/ocs/index.php/AAAI/AAAI18/paper/view/16000", "other", {}, None, None),
    # IEEE Xplore
    ("https://ieeexplore.ieee.org/abstract/document/8585066", "ieee", {"ieee": "8585066"}, None, None),
    ("https://ieeexplore.ieee.org/abstract/document/9053730/", "ieee", {"ieee": "9053730"}, None, None),
    ("https://ieeexplore.ieee.org/document/9734622", "ieee", {"ieee": "9734622"}, None, None),
    ("https://ieeexplore.ieee.org/document/8585066/authors#authors", "ieee", {"ieee": "8585066"}, None, None),
    ("https://ieeexplore.ieee.org/stamp/stamp.jsp?arnumber=8585066", "ieee", {"ieee": "8585066"}, None, None),
    (
        "https://ieeexplore.ieee.org/stamp/stamp.jsp?tp=&arnumber=8585066",
        "ieee",
        {"ieee": "8585066"},
        None,
        None,
    ),
    ("http://ieeexplore.ieee.org/xpls/abs_all.jsp?arnumber=1203662", "ieee", {"ieee": "1203662"}, None, None),
    ("https://ieeexplore.ieee.org/xpl/conhome/1000147/all-proceedings", "other", {}, None, None),
    ("https://ieeexplore.ieee.org/author/37085383940", "other", {}, None, None),
    ("https://ieeexplore.ieee.org/document/", "other", {}, None, None),
    ("https://ieeexplore.ieee.org/stamp/stamp.jsp?tp=", "other", {}, None, None),
    # CVF open access
    (
        "https://openaccess.thecvf.com/content_cvpr_2017/html/Chung_Lip_Reading_Sentences_CVPR_2017_paper.html",
        "cvf",
        {"cvf": "Chung_Lip_Reading_Sentences_CVPR_2017_paper"},
        "CVPR",
        2017,
    ),
    (
        "https://openaccess.thecvf.com/content_cvpr_2016/papers/Hu_Temporal_Multimodal_Learning_CVPR_2016_paper.pdf",
        "cvf",
        {"cvf": "Hu_Temporal_Multimodal_Learning_CVPR_2016_paper"},
        "CVPR",
        2016,
    ),
    (
        "https://openaccess.thecvf.com/content/CVPR2021/html/Lee_Looking_Into_Your_Speech_Learning_Cross-Modal"
        "_Affinity_for_Audio-Visual_Speech_CVPR_2021_paper.html?ref=https://githubhelp.com",
        "cvf",
        {"cvf": "Lee_Looking_Into_Your_Speech_Learning_Cross-Modal_Affinity_for_Audio-Visual_Speech_CVPR_2021_paper"},
        "CVPR",
        2021,
    ),
    (
        "https://openaccess.thecvf.com/content/WACV2022/html/Chen_MM-ViT_Multi-Modal_Video_Transformer_for"
        "_Compressed_Video_Action_Recognition_WACV_2022_paper.html",
        "cvf",
        {"cvf": "Chen_MM-ViT_Multi-Modal_Video_Transformer_for_Compressed_Video_Action_Recognition_WACV_2022_paper"},
        "WACV",
        2022,
    ),
    (
        "https://openaccess.thecvf.com/content/ACCV2020/html/Zhu_Visually_Guided_Sound_Source_Separation_using"
        "_Cascaded_Opponent_Filter_Network_ACCV_2020_paper.html",
        "cvf",
        {"cvf": "Zhu_Visually_Guided_Sound_Source_Separation_using_Cascaded_Opponent_Filter_Network_ACCV_2020_paper"},
        "ACCV",
        2020,
    ),
    (
        "https://openaccess.thecvf.com/content_ECCV_2018/html/Hang_Zhao_The_Sound_of_ECCV_2018_paper.html",
        "cvf",
        {"cvf": "Hang_Zhao_The_Sound_of_ECCV_2018_paper"},
        "ECCV",
        2018,
    ),
    (
        "https://openaccess.thecvf.com/content/CVPR2021/papers/Zhou_Positive_Sample_Propagation_Along_the"
        "_Audio-Visual_Event_Line_CVPR_2021_paper.pdf",
        "cvf",
        {"cvf": "Zhou_Positive_Sample_Propagation_Along_the_Audio-Visual_Event_Line_CVPR_2021_paper"},
        "CVPR",
        2021,
    ),
    (
        "https://openaccess.thecvf.com/content_ICCV_2017_workshops/w8/html/Ephrat_Improved_Speech"
        "_Reconstruction_ICCV_2017_paper.html",
        "cvf",
        {"cvf": "Ephrat_Improved_Speech_Reconstruction_ICCV_2017_paper"},
        "ICCV Workshops",
        2017,
    ),
    (
        "https://openaccess.thecvf.com/content_cvpr_2018_workshops/papers/w13/Xie_Audio_CVPR_2018_paper.pdf",
        "cvf",
        {"cvf": "Xie_Audio_CVPR_2018_paper"},
        "CVPR Workshops",
        2018,
    ),
    (
        "https://openaccess.thecvf.com/content_ICCVW_2019/html/AVVision/Wu_Sound_ICCVW_2019_paper.html",
        "cvf",
        {"cvf": "Wu_Sound_ICCVW_2019_paper"},
        "ICCV Workshops",
        2019,
    ),
    (
        "https://openaccess.thecvf.com/content/CVPR2021W/AMFG/html/Li_Faces_CVPRW_2021_paper.html",
        "cvf",
        {"cvf": "Li_Faces_CVPRW_2021_paper"},
        "CVPR Workshops",
        2021,
    ),
    ("https://openaccess.thecvf.com/CVPR2021?day=all", "other", {}, None, None),
    ("https://openaccess.thecvf.com/content_cvpr_2017/html/", "other", {}, None, None),
    ("https://openaccess.thecvf.com/menu", "other", {}, None, None),
    (
        "https://openaccess.thecvf.com/content/CVPR2021/supplemental/Zhou_Positive_Sample_CVPR_2021_supplemental.pdf",
        "other",
        {},
        None,
        None,
    ),
    ("https://openaccess.thecvf.com/content/NOTCV2021/html/X_paper.html", "other", {}, None, None),
    # ECVA (ECCV)
    ("https://www.ecva.net/papers/eccv_2020/papers_ECCV/papers/123660698.pdf", "ecva", {}, "ECCV", 2020),
    (
        "https://www.ecva.net/papers/eccv_2022/papers_ECCV/html/1234_ECCV_2022_paper.php",
        "ecva",
        {},
        "ECCV",
        2022,
    ),
    ("https://www.ecva.net/papers.php", "other", {}, None, None),
    ("https://www.ecva.net/papers/eccv_2020/papers_ECCV/papers/123660698-supp.pdf", "other", {}, None, None),
    # NeurIPS
    (
        "https://proceedings.neurips.cc/paper/2020/hash/227f6afd3b7f89b96c4bb91f95d50f6d-Abstract.html",
        "neurips",
        {"neurips": "227f6afd3b7f89b96c4bb91f95d50f6d"},
        "NeurIPS",
        2020,
    ),
    (
        "https://papers.nips.cc/paper/2018/hash/c4616f5a24a66668f11ca4fa80525dc4-Abstract.html",
        "neurips",
        {"neurips": "c4616f5a24a66668f11ca4fa80525dc4"},
        "NeurIPS",
        2018,
    ),
    (
        "https://proceedings.neurips.cc/paper_files/paper/2022/hash/0123456789abcdef0123456789abcdef"
        "-Abstract-Conference.html",
        "neurips",
        {"neurips": "0123456789abcdef0123456789abcdef"},
        "NeurIPS",
        2022,
    ),
    (
        "https://proceedings.neurips.cc/paper_files/paper/2023/hash/0123456789abcdef0123456789abcdef"
        "-Abstract-Datasets_and_Benchmarks.html",
        "neurips",
        {"neurips": "0123456789abcdef0123456789abcdef"},
        "NeurIPS",
        2023,
    ),
    (
        "https://proceedings.neurips.cc/paper/2018/file/01161aaa0b6d1345dd8fe4e481144d84-Paper.pdf",
        "neurips",
        {"neurips": "01161aaa0b6d1345dd8fe4e481144d84"},
        "NeurIPS",
        2018,
    ),
    ("https://papers.nips.cc/paper/7181-attention-is-all-you-need", "neurips", {}, "NeurIPS", None),
    ("https://proceedings.neurips.cc/paper/2020", "other", {}, None, None),
    (
        "https://papers.nips.cc/book/advances-in-neural-information-processing-systems-30-2017",
        "other",
        {},
        None,
        None,
    ),
    (
        "https://proceedings.neurips.cc/paper/2020/hash/227f6afd3b7f89b96c4bb91f95d50f6-Abstract.html",
        "other",
        {},
        None,
        None,
    ),
    # OpenReview
    ("https://openreview.net/forum?id=rJ4km2R5t7", "openreview", {"openreview": "rJ4km2R5t7"}, None, None),
    ("https://openreview.net/pdf?id=rJ4km2R5t7", "openreview", {"openreview": "rJ4km2R5t7"}, None, None),
    (
        "https://openreview.net/forum?id=rJ4km2R5t7&noteId=abc",
        "openreview",
        {"openreview": "rJ4km2R5t7"},
        None,
        None,
    ),
    ("https://openreview.net/group?id=ICLR.cc/2021/Conference", "other", {}, None, None),
    ("https://openreview.net/profile?id=~Someone1", "other", {}, None, None),
    ("https://openreview.net/attachment?id=rJ4km2R5t7&name=supplementary_material", "other", {}, None, None),
    # DOIs in the path of other publishers (Atypon-style sites)
    (
        "https://www.tandfonline.com/doi/full/10.1080/01621459.2017.1285773",
        "doi-in-path",
        {"doi": "10.1080/01621459.2017.1285773"},
        None,
        None,
    ),
    (
        "https://journals.sagepub.com/doi/10.1177/0956797614557866",
        "doi-in-path",
        {"doi": "10.1177/0956797614557866"},
        None,
        None,
    ),
    (
        "https://www.science.org/doi/abs/10.1126/science.aaa8415",
        "doi-in-path",
        {"doi": "10.1126/science.aaa8415"},
        None,
        None,
    ),
    (
        "https://www.tandfonline.com/doi/suppl/10.1080/01621459.2017.1285773/suppl_file/x.pdf",
        "other",
        {},
        None,
        None,
    ),
    ("https://www.tandfonline.com/toc/uasa20/current", "other", {}, None, None),
    ("https://citeseerx.ist.psu.edu/viewdoc/summary?doi=10.1.1.123.4567", "other", {}, None, None),
    # anything else
    ("https://justusthies.github.io/posts/neural-voice-puppetry/", "other", {}, None, None),
    ("https://drive.google.com/file/d/1ISP0ot1WFxZz_IhTAOiWu4nT-Q1bXWtH/view", "other", {}, None, None),
    ("ftp://arxiv.org/abs/2106.01689", "other", {}, None, None),
    ("arxiv.org/abs/2106.01689", "other", {}, None, None),
    ("https://[broken/abs/2106.01689", "other", {}, None, None),
    ("", "other", {}, None, None),
]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _row_index(url: str) -> int | None:
    """The index of the PATTERNS row that decides `url` (None for "other")."""
    parts = urlsplit(url)
    host = _host(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    for index, row in enumerate(PATTERNS):
        if row.applies_to(host) and (match := row.regex.match(target)) and row.to_ids(match) is not None:
            return index
    return None


@pytest.mark.parametrize(("url", "host", "ids", "venue_hint", "year_hint"), CASES)
def test_match_link(url: str, host: str, ids: dict[str, str], venue_hint: str | None, year_hint: int | None) -> None:
    """Each link gives its host kind, exactly these identifiers and these hints."""
    found = match_link(url)
    assert (found.host, found.ids, found.venue_hint, found.year_hint) == (
        host,
        Ids(**ids),
        venue_hint,
        year_hint,
    )


def test_every_pattern_row_has_a_positive_case() -> None:
    """Every row of PATTERNS decides at least one positive case of the table."""
    used = {_row_index(url) for url, host, *_ in CASES if host != "other"}
    assert used == set(range(len(PATTERNS)))


def test_every_host_kind_has_a_negative_case() -> None:
    """For every host kind, the table holds a link of the same site that the row must not accept."""
    negatives_by_suffix = Counter(
        suffix
        for url, host, *_ in CASES
        if host == "other"
        for row in PATTERNS
        for suffix in row.host_suffixes
        if row.applies_to(_host(url))
    )
    for row in PATTERNS:
        if row.host_suffixes:
            assert any(negatives_by_suffix[suffix] for suffix in row.host_suffixes), row.name
    assert any(host == "other" and "/doi/" in url for url, host, *_ in CASES)


def test_extract_ids_is_the_ids_of_match_link() -> None:
    """extract_ids(url) is match_link(url).ids."""
    url = "https://arxiv.org/abs/2106.01689v2"
    assert extract_ids(url) == match_link(url).ids == Ids(arxiv="2106.01689")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1145/3126686.3126723", "10.1145/3126686.3126723"),
        ("https://doi.org/10.1007/S10489-014-0629-7", "10.1007/s10489-014-0629-7"),
        ("http://dx.doi.org/10.1007/s10489-014-0629-7", "10.1007/s10489-014-0629-7"),
        ("doi.org/10.1145/3387164", "10.1145/3387164"),
        ("doi:10.1145/3387164", "10.1145/3387164"),
        ("DOI: 10.1145/3387164", "10.1145/3387164"),
        ("https://doi.org/doi:10.1145/3387164", "10.1145/3387164"),
        ("10.1007%2F978-3-030-58621-8_44", "10.1007/978-3-030-58621-8_44"),
        ("10.1145/3387164.", "10.1145/3387164"),
        ("10.1145/3387164,", "10.1145/3387164"),
        ("10.1145/3387164/", "10.1145/3387164"),
        ("10.1007/s11263-019-01150-y.pdf", "10.1007/s11263-019-01150-y"),
        ("10.1145/3387164?download=true", "10.1145/3387164"),
        ("10.1145/3387164#sec1", "10.1145/3387164"),
        ("(10.1016/S0140-6736(20)30183-5)", "10.1016/s0140-6736(20)30183-5"),
        ("10.1016/S0140-6736(20)30183-5", "10.1016/s0140-6736(20)30183-5"),
        (
            "10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-O",
            "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o",
        ),
        ("10.21437/Interspeech.2019-2680", "10.21437/interspeech.2019-2680"),
        ("  10.18653/v1/N18-2074  ", "10.18653/v1/n18-2074"),
        ("10.1145", None),
        ("10.1/x", None),  # registrant code too short
        ("11.1145/3387164", None),
        ("10.1145/ünïcode", None),
        ("https://example.org/10.1145/3387164", None),
        ("not a doi", None),
        ("", None),
    ],
)
def test_normalise_doi(text: str, expected: str | None) -> None:
    """DOIs are unwrapped, decoded, trimmed, lowercased and validated; anything else gives None."""
    assert normalise_doi(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2106.01689", "2106.01689"),
        ("2106.01689v2", "2106.01689"),
        ("arXiv:2106.01689v2", "2106.01689"),
        ("10.48550/arXiv.2106.01689", "2106.01689"),
        ("0704.0001", "0704.0001"),
        ("1412.6980", "1412.6980"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("math.gt/0309136", "math.GT/0309136"),
        ("1501.0001", None),  # from 2015 on, five digits
        ("1412.00001", None),  # before 2015, four digits
        ("0703.0001", None),  # before the new scheme
        ("2113.01689", None),  # month 13
        ("hep-th/9913001", None),  # month 13
        ("2106.01689.pdf", None),
        ("abs/2106.01689", None),
        ("", None),
    ],
)
def test_normalise_arxiv(text: str, expected: str | None) -> None:
    """arXiv ids lose their version and prefix; impossible dates and digit counts give None."""
    assert normalise_arxiv(text) == expected


@pytest.mark.parametrize(
    ("acl_id", "expected"),
    [
        ("P19-1239", "10.18653/v1/p19-1239"),  # ACL
        ("D18-1382", "10.18653/v1/d18-1382"),  # EMNLP
        ("N18-2074", "10.18653/v1/n18-2074"),  # NAACL, recorded by Crossref in lower case
        ("E17-1001", "10.18653/v1/e17-1001"),  # EACL
        ("K17-1001", "10.18653/v1/k17-1001"),  # CoNLL
        ("S17-2001", "10.18653/v1/s17-2001"),  # SemEval
        ("W18-3301", "10.18653/v1/w18-3301"),  # workshops
        ("D15-1166", "10.18653/v1/d15-1166"),  # EMNLP 2015 already used 10.18653
        ("p19-1239", "10.18653/v1/p19-1239"),
        ("2020.acl-main.401", "10.18653/v1/2020.acl-main.401"),
        ("2020.challengehml-1.1", "10.18653/v1/2020.challengehml-1.1"),
        ("2020.findings-emnlp.1", "10.18653/v1/2020.findings-emnlp.1"),
        ("P15-1001", None),  # ACL 2015 DOIs use 10.3115
        ("W12-3903", None),  # before ACL's own DOIs
        ("C18-1001", None),  # COLING
        ("L18-1001", None),  # LREC
        ("Q17-1001", None),  # TACL: MIT Press DOIs
        ("J17-1001", None),  # CL: MIT Press DOIs
        ("I17-1001", None),  # IJCNLP
        ("2020.coling-main.1", None),
        ("2020.lrec-1.1", None),
        ("2020.tacl-1.1", None),
        ("2020.cl-1.1", None),
        ("not-an-id", None),
    ],
)
def test_acl_doi_candidate(acl_id: str, expected: str | None) -> None:
    """Only ACL-sponsored volumes from 2015/2016 on get a 10.18653 candidate."""
    assert acl_doi_candidate(acl_id) == expected


def test_acl_links_never_claim_the_candidate_doi() -> None:
    """An Anthology link gives the ACL id only; the candidate DOI needs confirming by a lookup."""
    assert extract_ids("https://aclanthology.org/P19-1239/").doi is None


@given(dois())
def test_doi_urls_give_the_normalised_doi(doi: str) -> None:
    """https://doi.org/<doi> (plain or percent-encoded) yields the normalised DOI."""
    assume(not doi.lower().endswith(".pdf"))
    assert normalise_doi(doi) == doi.lower()
    assert extract_ids("https://doi.org/" + doi).doi == doi.lower()
    assert extract_ids("https://doi.org/" + quote(doi, safe="")).doi == doi.lower()


# --- the bundled list ------------------------------------------------------------------------------

# The id field each of these hosts must yield for every link of the bundled list.
_REQUIRED = {
    "arxiv.org": "arxiv",
    "dl.acm.org": "doi",
    "link.springer.com": "doi",
    "onlinelibrary.wiley.com": "doi",
    "aclanthology.org": "acl",
    "isca-speech.org": "doi",
    "ncbi.nlm.nih.gov": "pmcid",
}


@pytest.fixture(scope="module")
def bundled_urls() -> list[str]:
    """The distinct links of the bundled list."""
    return [link.url for link in parse_markdown(read_input(None).text)]


def test_bundled_list_hosts(bundled_urls: list[str]) -> None:
    """The bundled list's 187 links fall into these host kinds."""
    counts = Counter(match_link(url).host for url in bundled_urls)
    assert counts == {
        "cvf": 66, "ieee": 40, "arxiv": 30, "acm": 12, "springer": 10, "neurips": 10, "aaai": 7,
        "acl": 4, "other": 3, "isca": 2, "pmc": 1, "ecva": 1, "wiley": 1,
    }  # fmt: skip


def test_every_bundled_link_of_an_identifier_host_yields_it(bundled_urls: list[str]) -> None:
    """Every arXiv, ACM, Springer, Wiley, ACL, ISCA and PMC link of the bundled list yields its identifier."""
    checked = Counter[str]()
    for url in bundled_urls:
        host = _host(url).removeprefix("www.")
        field = _REQUIRED.get(host)
        if field is None:
            continue
        checked[host] += 1
        assert getattr(extract_ids(url), field), url
    assert checked == {
        "arxiv.org": 30, "dl.acm.org": 12, "link.springer.com": 10, "aclanthology.org": 4,
        "isca-speech.org": 2, "ncbi.nlm.nih.gov": 1, "onlinelibrary.wiley.com": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.isca-speech.org/archive_v0/Interspeech_2019/pdfs/3269.pdf",
            Ids(doi="10.21437/interspeech.2019-3269"),
        ),
        ("https://onlinelibrary.wiley.com/doi/abs/10.1111/cgf.13946", Ids(doi="10.1111/cgf.13946")),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7098709/", Ids(pmcid="PMC7098709")),
        ("https://aclanthology.org/2020.challengehml-1.1/", Ids(acl="2020.challengehml-1.1")),
        (
            "https://link.springer.com/chapter/10.1007/978-3-030-58539-6_2",
            Ids(doi="10.1007/978-3-030-58539-6_2"),
        ),
        ("https://dl.acm.org/doi/abs/10.1145/3414685.3417774", Ids(doi="10.1145/3414685.3417774")),
    ],
)
def test_bundled_identifiers_by_value(bundled_urls: list[str], url: str, expected: Ids) -> None:
    """Spot checks of exact identifier values for links of the bundled list."""
    assert url in bundled_urls
    assert extract_ids(url) == expected


def test_module_exports_other() -> None:
    """Links matching no row are reported under the host name "other"."""
    assert identifiers.OTHER == "other"
