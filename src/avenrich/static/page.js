/* The catalogue page's script (avenrich): renders the entries from the page's JSON block, filters, sorts,
 * copies BibTeX and draws the plots with uPlot. Text only ever goes in as text (textContent), and only http(s)
 * URLs become links. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var entries = data.entries;
  var HTTP = /^https?:\/\/[^\s"'<>\\]+$/i;
  var form = document.getElementById("filters");
  var sectionsBox = document.getElementById("sections");
  var flatBox = document.getElementById("flat");
  var countLine = document.getElementById("count");
  var els = new Array(entries.length);
  var groups = [];          // {name, el, count, entries: [index], pending}
  var sparkObserver = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text) {
    if (typeof href !== "string" || !HTTP.test(href)) return el("span", "plain", text);
    var a = el("a", null, text);
    a.href = href;
    a.rel = "noopener noreferrer";
    return a;
  }

  function fmt(n) { return n === null || n === undefined ? "–" : String(n); }

  // Search text of each entry, lower-cased once.
  var haystack = entries.map(function (e) {
    return [e.title, e.authors.join(" "), e.venue, e.url].join("\n").toLowerCase();  // no word spans two fields
  });

  function renderEntry(e, i) {
    var art = el("article", "entry");
    art.setAttribute("data-url", e.url);
    art.setAttribute("data-index", String(i));
    art.id = "entry-" + i;
    var h = el("h3");
    h.appendChild(e.href ? link(e.href, e.title || e.url) : el("span", null, e.title || e.url));
    art.appendChild(h);
    var meta = [];
    if (e.authors.length) meta.push(e.authors.length > 6 ? e.authors.slice(0, 6).join(", ") + " et al." : e.authors.join(", "));
    if (e.venue) meta.push(e.venue);
    if (e.year) meta.push(String(e.year));
    if (meta.length) art.appendChild(el("p", "meta", meta.join(" · ")));
    var ids = el("p", "ids");
    e.links.forEach(function (pair) { ids.appendChild(link(pair[1], pair[0])); });
    ids.appendChild(e.href ? link(e.href, "Listed link") : el("span", "plain", "Listed link (not a web address): " + e.url));
    art.appendChild(ids);
    var counts = el("p", "counts");
    counts.appendChild(el("span", null, "Crossref: " + fmt(e.counts.crossref)));
    counts.appendChild(el("span", null, "Semantic Scholar: " + fmt(e.counts.semantic_scholar)));
    if (e.history && e.history.filter(function (v) { return v !== null; }).length > 1) {
      var spark = el("span", "spark");
      spark.setAttribute("role", "img");
      spark.setAttribute("aria-label", "Citations over " + e.history.length + " nights: " +
        e.history.filter(function (v) { return v !== null; }).join(", "));
      counts.appendChild(spark);
      if (sparkObserver) sparkObserver.observe(spark);
    }
    var status = e.status === "resolved" ? "Resolved" : "Unresolved" + (e.reason ? ": " + e.reason : "");
    var badge = el("span", "status " + (e.status === "resolved" ? "resolved" : "unresolved"), status);
    counts.appendChild(badge);
    if (e.stale) counts.appendChild(el("span", "status stale", "Not re-checked last night (kept from the last good night)"));
    art.appendChild(counts);
    if (e.issues.length) {
      var list = el("ul", "issues");
      list.setAttribute("aria-label", "List-health findings");
      e.issues.forEach(function (f) {
        var text = (f.kind ? f.kind + ": " : "") + (f.message || "");
        if (f.fix) text += " (fix: " + f.fix + ")";
        list.appendChild(el("li", null, text));
      });
      art.appendChild(list);
    }
    if (e.key && data.bib[e.key]) {
      var actions = el("p", "actions");
      var button = el("button", "copy", "Copy BibTeX");
      button.type = "button";
      button.setAttribute("data-key", e.key);
      button.setAttribute("aria-label", "Copy the BibTeX of " + (e.title || e.url));
      actions.appendChild(button);
      actions.appendChild(el("span", "key", e.key));
      art.appendChild(actions);
    }
    return art;
  }

  // The entries are rendered in chunks: the first screen at once, the rest between frames, so a list of tens
  // of thousands is usable at once. Filters work on the data; an entry is made with its current `hidden`.
  var FIRST = 200, CHUNK = 2000;
  var rendered = 0;
  var groupOf = new Array(entries.length);
  var keepNow = function () { return true; };

  function makeGroups() {
    var byName = {};
    entries.forEach(function (e, i) {
      var g = byName[e.section];
      if (!g) {
        var box = el("details", "section-group");
        box.open = true;
        var summary = el("summary");
        summary.appendChild(el("span", null, e.section || "(no section)"));
        var n = el("span", "n");
        summary.appendChild(document.createTextNode(" "));
        summary.appendChild(n);
        box.appendChild(summary);
        g = byName[e.section] = { name: e.section, el: box, count: n, entries: [] };
        groups.push(g);
      }
      g.entries.push(i);
      groupOf[i] = g;
    });
    var all = document.createDocumentFragment();
    groups.forEach(function (g) { all.appendChild(g.el); });
    sectionsBox.appendChild(all);
    if ("IntersectionObserver" in window && window.uPlot) {
      sparkObserver = new IntersectionObserver(function (seen) {
        seen.forEach(function (s) {
          if (!s.isIntersecting) return;
          sparkObserver.unobserve(s.target);
          drawSpark(s.target);
        });
      }, { rootMargin: "200px" });
    }
  }

  function renderUpTo(end, detached) {
    end = Math.min(end, entries.length);
    for (var i = rendered; i < end; i++) {
      els[i] = renderEntry(entries[i], i);
      els[i].hidden = !keepNow(entries[i], i);
      var g = groupOf[i];
      // Later chunks wait in fragments: attached in one go, the page restyles once, not once per chunk.
      if (detached && !g.pending) g.pending = document.createDocumentFragment();
      (detached ? g.pending : currentSort ? flatBox : g.el).appendChild(els[i]);
    }
    rendered = end;
  }

  function renderRest(done) {
    if (rendered >= entries.length) {
      groups.forEach(function (g) {
        if (g.pending && !currentSort) g.el.appendChild(g.pending);  // sorted: arrange() takes them in order
        g.pending = null;
      });
      done();
      return;
    }
    setTimeout(function () { renderUpTo(rendered + CHUNK, true); renderRest(done); }, 0);
  }

  function drawSpark(node) {
    var e = entries[Number(node.closest(".entry").getAttribute("data-index"))];
    var xs = data.dates.map(function (_d, i) { return i; });
    new uPlot({
      width: 120, height: 28, pxAlign: false, cursor: { show: false }, legend: { show: false },
      select: { show: false }, scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#0969da", width: 1.5, spanGaps: true, points: { show: false } }]
    }, [xs, e.history], node);
  }

  // Filters: the form's state <-> the URL query.
  var params = ["q", "year", "venue", "section", "status", "sort"];

  function readState() {
    var f = form.elements;
    var from = f["year-from"].value.trim(), to = f["year-to"].value.trim();
    return {
      q: f.q.value.trim(), year: from || to ? (from === to ? from : from + "-" + to) : "",
      venue: f.venue.value, section: f.section.value, status: f.status.value,
      sort: f.sort.value === "list" ? "" : f.sort.value
    };
  }

  function writeState(state) {
    var f = form.elements;
    f.q.value = state.q || "";
    var years = parseYears(state.year || "");
    f["year-from"].value = years[0] === null ? "" : String(years[0]);
    f["year-to"].value = years[1] === null ? "" : String(years[1]);
    setSelect(f.venue, state.venue);
    setSelect(f.section, state.section);
    setSelect(f.status, state.status);
    setSelect(f.sort, state.sort || "list");
  }

  function setSelect(select, value) {
    if (!value) { select.value = select.options[0].value; return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.value = value; return; }
    }
    var option = el("option", null, value);  // a shared link naming a venue this night lacks: keep it visible
    option.value = value;
    select.appendChild(option);
    select.value = value;
  }

  function parseYears(text) {
    var m = /^\s*(\d{4})?\s*(?:(-)\s*(\d{4})?)?\s*$/.exec(text);
    if (!m) return [null, null];
    var from = m[1] ? Number(m[1]) : null;
    var to = m[2] ? (m[3] ? Number(m[3]) : null) : from;
    return [from, to];
  }

  function matcher(state) {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var years = parseYears(state.year);
    return function (e, i) {
      for (var w = 0; w < words.length; w++) if (haystack[i].indexOf(words[w]) < 0) return false;
      if (years[0] !== null && !(e.year && e.year >= years[0])) return false;
      if (years[1] !== null && !(e.year && e.year <= years[1])) return false;
      if (state.venue && e.venue !== state.venue) return false;
      if (state.section && e.section !== state.section) return false;
      if (state.status === "issues") { if (!e.issues.length) return false; }
      else if (state.status && e.status !== state.status) return false;
      return true;
    };
  }

  var SORTS = {
    citations: function (a, b) { return (entries[b].cited === null ? -1 : entries[b].cited) - (entries[a].cited === null ? -1 : entries[a].cited) || a - b; },
    year: function (a, b) { return (entries[b].year || 0) - (entries[a].year || 0) || a - b; },
    title: function (a, b) { return collator.compare(entries[a].title || entries[a].url, entries[b].title || entries[b].url) || a - b; }
  };
  var collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  var currentSort = "";
  var visible = [];

  function apply(updateUrl) {
    var state = readState();
    var keep = matcher(state);
    visible = [];
    keepNow = keep;
    var shown = new Uint8Array(entries.length);
    for (var i = 0; i < entries.length; i++) {
      var show = keep(entries[i], i);
      if (show) { visible.push(i); shown[i] = 1; }
      if (i < rendered && els[i].hidden === show) els[i].hidden = !show;
    }
    groups.forEach(function (g) {
      var n = 0;
      for (var j = 0; j < g.entries.length; j++) n += shown[g.entries[j]];
      g.el.hidden = n === 0;
      g.count.textContent = "(" + n + (n === g.entries.length ? "" : " of " + g.entries.length) + ")";
    });
    if (state.sort !== currentSort) arrange(state.sort);
    countLine.textContent = visible.length === entries.length ? entries.length + " links" :
      visible.length + " of " + entries.length + " links match";
    if (updateUrl) {
      var query = new URLSearchParams();
      params.forEach(function (p) { if (state[p]) query.set(p, state[p]); });
      var search = query.toString();
      try {
        history.replaceState(null, "", (search ? "?" + search : location.pathname.split("/").pop() || "?") + location.hash);
      } catch (err) { /* some browsers refuse replaceState on file:// pages; the view still filters */ }
    }
  }

  function arrange(sort) {
    currentSort = sort;
    if (!sort) {
      groups.forEach(function (g) { g.entries.forEach(function (i) { if (i < rendered) g.el.appendChild(els[i]); }); });
      flatBox.hidden = true;
      sectionsBox.hidden = false;
      return;
    }
    var order = els.slice(0, rendered).map(function (_e, i) { return i; }).sort(SORTS[sort]);
    var frag = document.createDocumentFragment();
    order.forEach(function (i) { frag.appendChild(els[i]); });
    flatBox.appendChild(frag);
    sectionsBox.hidden = true;
    flatBox.hidden = false;
  }

  function fillOptions() {
    var venues = {}, sections = [];
    var seenSection = {};
    entries.forEach(function (e) {
      if (e.venue) venues[e.venue] = (venues[e.venue] || 0) + 1;
      if (!seenSection[e.section]) { seenSection[e.section] = true; sections.push(e.section); }
    });
    Object.keys(venues).sort(function (a, b) { return collator.compare(a, b); }).forEach(function (v) {
      var o = el("option", null, v + " (" + venues[v] + ")");
      o.value = v;
      form.elements.venue.appendChild(o);
    });
    sections.forEach(function (s) {
      if (!s) return;
      var o = el("option", null, s);
      o.value = s;
      form.elements.section.appendChild(o);
    });
  }

  // Cite: one entry's BibTeX to the clipboard; the filtered set as a file.
  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = el("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      area.remove();
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  document.getElementById("results").addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) return;
    var text = data.bib[button.getAttribute("data-key")];
    copyText(text).then(function () { button.textContent = "Copied"; },
      function () { button.textContent = "Copy failed: select the text in the .bib"; });
    setTimeout(function () { button.textContent = "Copy BibTeX"; }, 2000);
  });

  document.getElementById("download-filtered").addEventListener("click", function () {
    var keys = [], seen = {};
    visible.forEach(function (i) {
      var k = entries[i].key;
      if (k && data.bib[k] && !seen[k]) { seen[k] = true; keys.push(k); }
    });
    keys.sort();
    var blob = new Blob([keys.map(function (k) { return data.bib[k]; }).join("\n")], { type: "application/x-bibtex" });
    var a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = data.name + ".filtered.bib";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
  });

  // Plots of the whole list.
  function colour(i) {
    var palette = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0598bc", "#bf3989", "#6e7781"];
    return palette[i % palette.length];
  }

  function axisStyle() {
    var fg = getComputedStyle(document.body).color;
    var grid = getComputedStyle(document.documentElement).getPropertyValue("--line").trim() || "#d0d7de";
    return { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  }

  var COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1e6, 1e7];

  var DAY_STEPS = [1, 2, 7, 14, 28, 56, 91, 182, 365, 730].map(function (d) { return d * 86400; });

  function short(text) { return text.length > 16 ? text.slice(0, 15) + "…" : text; }

  function widthOf(node) { return Math.max(240, Math.floor(node.getBoundingClientRect().width) || 320); }

  function bars(node, labels, values, label) {
    var xs = labels.map(function (_l, i) { return i; });
    var ax = axisStyle();
    var longest = Math.max.apply(null, labels.map(function (l) { return String(l).length; }));
    var tilted = labels.length * (longest + 2) * 7 > widthOf(node) - 60;
    var chart = new uPlot({
      width: widthOf(node), height: 180 + (tilted ? 4.5 * longest : 0), legend: { show: false }, cursor: { show: false }, select: { show: false },
      scales: { x: { time: false, range: [-0.6, Math.max(0.6, labels.length - 0.4)] },
        y: { range: function (_u, _min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      axes: [
        Object.assign({}, ax, { splits: function () { return xs; }, values: function (_u, splits) {
          return splits.map(function (s) { return labels[s] === undefined ? "" : String(labels[s]); });
        }, rotate: tilted ? -40 : 0, size: tilted ? 30 + 4.5 * longest : 40 }),
        Object.assign({}, ax, { incrs: COUNT_STEPS })
      ],
      series: [{}, { label: label, fill: colour(0), stroke: colour(0), paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }]
    }, [xs, values], node);
    return chart;
  }

  function drawPlots() {
    if (!window.uPlot) return;
    var perYear = {}, perVenue = {};
    entries.forEach(function (e) {
      if (e.year) perYear[e.year] = (perYear[e.year] || 0) + 1;
      if (e.venue) perVenue[e.venue] = (perVenue[e.venue] || 0) + 1;
    });
    var years = Object.keys(perYear).map(Number).sort(function (a, b) { return a - b; });
    if (years.length) bars(document.getElementById("plot-years"), years, years.map(function (y) { return perYear[y]; }), "papers");
    var venues = Object.keys(perVenue).sort(function (a, b) { return perVenue[b] - perVenue[a] || collator.compare(a, b); }).slice(0, 12);
    if (venues.length) {
      bars(document.getElementById("plot-venues"), venues.map(function (v, i) { return (i + 1) + ". " + short(v); }),
        venues.map(function (v) { return perVenue[v]; }), "papers");
      var legend = document.getElementById("venue-legend");
      venues.forEach(function (v) { legend.appendChild(el("li", null, v + ": " + perVenue[v])); });
    }
    var top = entries.map(function (_e, i) { return i; })
      .filter(function (i) { return entries[i].history && entries[i].cited !== null; })
      .sort(SORTS.citations).slice(0, 8);
    if (top.length && data.dates.length) {
      var xs = data.dates.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
      var series = [{}], rows = [xs];
      var topLegend = document.getElementById("top-legend");
      top.forEach(function (i, n) {
        series.push({ label: "#" + (n + 1), stroke: colour(n), width: 2, spanGaps: true, points: { show: data.dates.length < 40 } });
        rows.push(entries[i].history);
        var item = el("li");
        var swatch = el("span", "swatch", "\u25A0 ");
        swatch.style.color = colour(n);  // CSSOM, which the CSP allows (style attributes in markup it does not)
        swatch.setAttribute("aria-hidden", "true");
        item.appendChild(swatch);
        item.appendChild(document.createTextNode((entries[i].title || entries[i].url) + " — " + fmt(entries[i].cited)));
        topLegend.appendChild(item);
      });
      var ax = axisStyle();
      new uPlot({ width: widthOf(document.getElementById("plot-top")), height: 260, legend: { show: false },
        scales: { x: { time: true } }, series: series, padding: [8, 48, 0, 0],
        axes: [Object.assign({}, ax, { incrs: DAY_STEPS, values: function (_u, splits) {
          return splits.map(function (t) { return new Date(t * 1000).toISOString().slice(0, 10); });
        } }), Object.assign({}, ax, { size: 60 })] },
        rows, document.getElementById("plot-top"));
    }
  }

  // Start: read the query, render the first screen, filter; every later change filters again and updates the
  // query. The rest of the entries follow between frames; then the page marks itself ready.
  makeGroups();
  fillOptions();
  var query = new URLSearchParams(location.search);
  var initial = {};
  params.forEach(function (p) { initial[p] = query.get(p) || ""; });
  writeState(initial);
  apply(false);
  renderUpTo(FIRST);
  if (currentSort) arrange(currentSort);
  drawPlots();
  var timer = null;
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { apply(true); }, 120); });
  form.addEventListener("change", function () { clearTimeout(timer); apply(true); });
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  window.avenrichInteractiveAt = performance.now();
  renderRest(function () {
    if (currentSort) arrange(currentSort);
    window.avenrichReadyAt = performance.now();
    document.documentElement.setAttribute("data-ready", "true");
  });
})();
