// Rapport's Ask page: an RQL editor with diagnostics as you type (/v1/query/validate),
// completion from /v1/catalog, Ctrl-Enter to run (/v1/query), cancel, results as a sortable,
// paged table with a CSV download, reports drawn as SVG, and the last queries kept.
// Every value from the data is put on the page as text (textContent), never as HTML.
"use strict";
(function () {
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var editor = document.getElementById("rql");
  var marks = document.getElementById("marks");
  var diagnostics = document.getElementById("diagnostics");
  var status = document.getElementById("status");
  var runButton = document.getElementById("run");
  var cancelButton = document.getElementById("cancel");
  var resultBox = document.getElementById("result");
  var chartBox = document.getElementById("chart");
  var running = null;
  var catalogNames = [];
  var encoder = new TextEncoder(), decoder = new TextDecoder();
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // Requests to the API, with the session's CSRF token; failures said in words.
  function api(path, body, signal) {
    return fetch(path, {
      method: "POST", credentials: "same-origin", signal: signal,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var error = new Error(describe(response.status, data));
          error.status = response.status; error.data = data;
          throw error;
        }
        return data;
      });
    }, function (error) {
      if (error && error.name === "AbortError") throw error;
      throw new Error("The server could not be reached: it may have stopped, or the network is down. Try again when it is back.");
    });
  }
  function describe(code, data) {
    var message = data && data.error && data.error.message;
    if (code === 401) return "Your session has ended (signed out or expired): sign in again.";
    if (code === 403) return message || "This key is not allowed to do that.";
    if (code === 408 || code === 504) return message || "The query took too long and was stopped.";
    if (code === 429) return message || "Too many queries at once: wait a moment and try again.";
    if (code >= 500) return message || "The server failed to answer (" + code + ").";
    return message || "The request was refused (" + code + ").";
  }

  // Diagnostics, each at its position: `start` and `end` are UTF-8 offsets in the text.
  function showDiagnostics(text, list) {
    clear(diagnostics); clear(marks);
    if (!list || list.length === 0) return;
    var bytes = encoder.encode(text), at = 0;
    list.slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (d) {
      var start = Math.max(d.start, at), end = Math.max(d.end, start);
      marks.appendChild(document.createTextNode(decoder.decode(bytes.slice(at, start))));
      var mark = el("mark", { title: d.message }, decoder.decode(bytes.slice(start, end)) || " ");
      marks.appendChild(mark);
      at = end;
    });
    marks.appendChild(document.createTextNode(decoder.decode(bytes.slice(at))));
    list.forEach(function (d) {
      var item = el("li", { "class": d.severity });
      item.appendChild(el("span", { "class": "where" }, "line " + d.line + ", column " + d.column + ": "));
      item.appendChild(el("span", { "class": "message" }, d.severity + " — " + d.message));
      if (d.hint) item.appendChild(el("span", { "class": "hint" }, d.hint));
      diagnostics.appendChild(item);
    });
  }

  var validateTimer = null, validateSeq = 0;
  function validateSoon() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(function () {
      var text = editor.value, seq = ++validateSeq;
      if (!text.trim()) { showDiagnostics(text, []); return; }
      api("/v1/query/validate", { q: text }).then(function (answer) {
        if (seq === validateSeq) showDiagnostics(text, answer.diagnostics);
      }, function (error) {
        if (seq === validateSeq) status.textContent = error.message;
      });
    }, 250);
  }

  // Completion: the names of the tenant's catalogue that start like the word at the cursor.
  var completions = el("ul", { id: "completions", "aria-label": "Completions" });
  editor.parentNode.insertBefore(completions, marks);
  fetch("/v1/catalog", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (c) {
    if (!c) return;
    var names = [].concat(c.traits || [], c.events || [], c.segments || [], c.metrics || [], c.funnels || [], c.identity_kinds || []);
    Object.keys(c.properties || {}).forEach(function (event) { names = names.concat(c.properties[event]); });
    catalogNames = names.filter(function (n, i) { return names.indexOf(n) === i; }).sort();
  }, function () {});
  function wordAtCursor() {
    var upto = editor.value.slice(0, editor.selectionStart);
    var match = /[A-Za-z_][A-Za-z0-9_]*$/.exec(upto);
    return match ? match[0] : "";
  }
  function offerCompletions() {
    clear(completions);
    var word = wordAtCursor();
    if (word.length < 2) return;
    catalogNames.filter(function (n) { return n.indexOf(word) === 0 && n !== word; }).slice(0, 8).forEach(function (name) {
      var item = el("li"), button = el("button", { type: "button" }, name);
      button.addEventListener("click", function () { complete(name); });
      item.appendChild(button); completions.appendChild(item);
    });
  }
  function complete(name) {
    var word = wordAtCursor(), cursor = editor.selectionStart;
    editor.value = editor.value.slice(0, cursor - word.length) + name + editor.value.slice(cursor);
    editor.selectionStart = editor.selectionEnd = cursor - word.length + name.length;
    editor.focus(); clear(completions); validateSoon();
  }

  // The last queries, kept in this browser.
  var recentBox = el("div", { "class": "recent", id: "recent" });
  document.querySelector(".actions").after(recentBox);
  function recent() { try { return JSON.parse(localStorage.getItem("rapport.recent") || "[]"); } catch (e) { return []; } }
  function remember(text) {
    var list = recent().filter(function (q) { return q !== text; });
    list.unshift(text);
    try { localStorage.setItem("rapport.recent", JSON.stringify(list.slice(0, 10))); } catch (e) {}
    showRecent();
  }
  function showRecent() {
    clear(recentBox);
    var list = recent();
    if (list.length === 0) return;
    recentBox.appendChild(document.createTextNode("Recent: "));
    list.forEach(function (text) {
      var button = el("button", { type: "button", title: text }, text.length > 40 ? text.slice(0, 39) + "…" : text);
      button.addEventListener("click", function () { editor.value = text; validateSoon(); editor.focus(); });
      recentBox.appendChild(button);
    });
  }
  showRecent();

  // Saved queries: named, kept in this browser; saving a name again replaces it.
  var savedBox = el("div", { "class": "recent", id: "saved" });
  recentBox.after(savedBox);
  var saveButton = el("button", { type: "button", id: "save" }, "Save…");
  document.querySelector(".actions").insertBefore(saveButton, status);
  function saved() { try { return JSON.parse(localStorage.getItem("rapport.saved") || "{}"); } catch (e) { return {}; } }
  function showSaved() {
    clear(savedBox);
    var all = saved(), names = Object.keys(all).sort();
    if (names.length === 0) return;
    savedBox.appendChild(document.createTextNode("Saved: "));
    names.forEach(function (name) {
      var open = el("button", { type: "button", title: all[name], "data-name": name }, name);
      open.addEventListener("click", function () { editor.value = all[name]; validateSoon(); editor.focus(); });
      var forget = el("button", { type: "button", title: "Forget " + name, "aria-label": "Forget " + name }, "×");
      forget.addEventListener("click", function () {
        var now = saved(); delete now[name];
        try { localStorage.setItem("rapport.saved", JSON.stringify(now)); } catch (e) {}
        showSaved();
      });
      savedBox.appendChild(open); savedBox.appendChild(forget);
    });
  }
  saveButton.addEventListener("click", function () {
    var text = editor.value.trim();
    if (!text) { status.textContent = "Write a query first."; return; }
    var name = window.prompt("Save this query as:", "");
    if (!name || !name.trim()) return;
    var all = saved(); all[name.trim().slice(0, 60)] = text;
    try { localStorage.setItem("rapport.saved", JSON.stringify(all)); status.textContent = "Saved."; }
    catch (e) { status.textContent = "This browser would not keep it (storage is full or off)."; }
    showSaved();
  });
  showSaved();

  // Running and cancelling.
  function run() {
    if (running) return;
    var text = editor.value;
    if (!text.trim()) { status.textContent = "Write a query first."; return; }
    var id = "console-" + Math.random().toString(36).slice(2, 12);
    var controller = new AbortController();
    running = { id: id, controller: controller };
    runButton.disabled = true; cancelButton.disabled = false;
    status.textContent = "Running…";
    api("/v1/query", { q: text, id: id }, controller.signal).then(function (answer) {
      remember(text);
      status.textContent = answer.rows.length + " row" + (answer.rows.length === 1 ? "" : "s") + (answer.truncated ? " (cut at the row cap)" : "") +
        " in " + answer.elapsed_ms + " ms";
      showResult(answer);
    }, function (error) {
      if (error.name === "AbortError" || (running && running.cancelled)) { status.textContent = "Cancelled."; return; }
      status.textContent = "";
      clear(resultBox); clear(chartBox);
      if (error.data && error.data.error && error.data.error.diagnostics) showDiagnostics(text, error.data.error.diagnostics);
      resultBox.appendChild(el("p", { "class": "error", role: "alert", id: "run-error" }, error.message));
    }).then(function () {
      running = null; runButton.disabled = false; cancelButton.disabled = true;
    });
  }
  // The page stops waiting at once (whatever the server answers then, the run shows as
  // cancelled), and asks the server to stop the query.
  function cancel() {
    if (!running) return;
    var current = running;
    current.cancelled = true;
    current.controller.abort();
    api("/v1/query/cancel", { id: current.id }).catch(function () {});
  }
  runButton.addEventListener("click", run);
  cancelButton.addEventListener("click", cancel);
  editor.addEventListener("input", function () { validateSoon(); offerCompletions(); });
  editor.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); }
    else if (event.key === "Tab" && completions.firstChild) { event.preventDefault(); complete(completions.firstChild.textContent); }
    else if (event.key === "Escape") { if (running) cancel(); else clear(completions); }
  });

  // Results: a table, sortable by any column, 50 rows a page, and a CSV of all rows.
  function cellText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  function numeric(type) { return type === "number" || type === "duration"; }
  function showResult(answer) {
    clear(resultBox); clear(chartBox);
    if (answer.sql) {
      resultBox.appendChild(el("h2", {}, "Explain"));
      if (answer.reads) resultBox.appendChild(el("p", { id: "reads" }, "Reads: " + answer.reads));
      resultBox.appendChild(el("pre", { "class": "sql", id: "sql" }, answer.sql));
    }
    drawChart(answer);
    var rows = answer.rows.slice(), columns = answer.columns, page = 0, size = 50, sortedBy = -1, ascending = true;
    var table = el("table", { id: "result-table" }), head = el("thead"), body = el("tbody"), headRow = el("tr");
    columns.forEach(function (column, index) {
      var th = el("th", { "class": "sortable", tabindex: "0", scope: "col", title: "Sort by " + column.name }, column.name);
      function sort() {
        ascending = sortedBy === index ? !ascending : true; sortedBy = index;
        rows.sort(function (a, b) {
          var x = a[index], y = b[index];
          if (x === null) return 1; if (y === null) return -1;
          var order = numeric(column.type) ? Number(x) - Number(y) : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        Array.prototype.forEach.call(headRow.children, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        page = 0; fill();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
      headRow.appendChild(th);
    });
    head.appendChild(headRow); table.appendChild(head); table.appendChild(body);
    var pager = el("div", { "class": "pager" });
    var previous = el("button", { type: "button", id: "previous-page" }, "Previous");
    var next = el("button", { type: "button", id: "next-page" }, "Next");
    var where = el("span", { id: "page" });
    var csv = el("button", { type: "button", id: "csv" }, "Download CSV");
    previous.addEventListener("click", function () { if (page > 0) { page--; fill(); } });
    next.addEventListener("click", function () { if ((page + 1) * size < rows.length) { page++; fill(); } });
    csv.addEventListener("click", function () { download(columns, rows); });
    pager.appendChild(previous); pager.appendChild(where); pager.appendChild(next); pager.appendChild(csv);
    function fill() {
      clear(body);
      rows.slice(page * size, page * size + size).forEach(function (row) {
        var tr = el("tr");
        row.forEach(function (value, index) {
          tr.appendChild(el("td", numeric(columns[index].type) ? { "class": "num" } : {}, cellText(value)));
        });
        body.appendChild(tr);
      });
      var pages = Math.max(1, Math.ceil(rows.length / size));
      where.textContent = "page " + (page + 1) + " of " + pages;
      previous.disabled = page === 0; next.disabled = page + 1 >= pages;
    }
    fill();
    var scroller = el("div", { "class": "scroll" });
    scroller.appendChild(table);
    resultBox.appendChild(scroller);
    resultBox.appendChild(pager);
  }
  function download(columns, rows) {
    function quote(value) {
      var text = cellText(value);
      // A text cell a spreadsheet would run as a formula is kept as text (numbers stay numbers).
      if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
      return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }
    var lines = [columns.map(function (c) { return quote(c.name); }).join(",")];
    rows.forEach(function (row) { lines.push(row.map(quote).join(",")); });
    var url = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }));
    var link = el("a", { href: url, download: "rapport-result.csv" });
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // Reports drawn as the REPL draws them (Grammar/README.md, "Reports"), recognised by their columns.
  function drawChart(answer) {
    var names = answer.columns.map(function (c) { return c.name; }), rows = answer.rows;
    if (rows.length === 0) return;
    function col(name) { return names.indexOf(name); }
    function num(row, name) { var i = col(name); return i < 0 || row[i] === null ? null : Number(row[i]); }
    function txt(row, name) { var i = col(name); return i < 0 ? "" : cellText(row[i]); }
    function percent(share) { return share === null || isNaN(share) ? "–" : (Math.round(share * 1000) / 10) + "%"; }
    var tail = names.slice(-8).join(",");
    var grouped = ["step", "tier", "stage", "top", "cohort"].indexOf(names[0]) < 0;
    function groups() {
      if (!grouped) return [[null, rows]];
      var order = [], by = {};
      rows.forEach(function (row) { var key = cellText(row[0]); if (!by[key]) { by[key] = []; order.push(key); } by[key].push(row); });
      return order.map(function (key) { return [names[0] + " = " + key, by[key]]; });
    }
    if (tail === "step,event,optional,profiles,from_previous,from_first,median_time,p90_time") {
      groups().forEach(function (g) {
        bars("funnel", g[0], g[1].map(function (row) {
          return { label: txt(row, "step") + " " + txt(row, "event"), value: num(row, "profiles"), note: num(row, "profiles") + " · " + percent(num(row, "from_first")) };
        }));
      });
    } else if (names.join(",") === "tier,profiles,share,value,value_share,min_clv,max_clv") {
      bars("tiers", "share of value by tier", rows.map(function (row) {
        return { label: txt(row, "tier"), value: num(row, "value_share"), note: percent(num(row, "value_share")) + " of value, " + percent(num(row, "share")) + " of profiles" };
      }));
    } else if (names.join(",") === "top,profiles,value,total,share") {
      var row = rows[0], top = num(row, "top"), share = num(row, "share");
      bars("pareto", null, [{ label: "top " + percent(top) + " of profiles", value: share, note: percent(share) + " of value" },
                            { label: "the other " + percent(1 - top), value: 1 - share, note: percent(1 - share) + " of value" }]);
    } else if (names.slice(-4).join(",") === "stage,profiles,reached,conversion") {
      groups().forEach(function (g) {
        bars("lifecycle", g[0] || "profiles reaching each stage", g[1].map(function (row) {
          return { label: txt(row, "stage"), value: num(row, "reached"), note: num(row, "reached") + " · conversion " + percent(num(row, "conversion")) };
        }));
      });
    } else if (names.join(",") === "cohort,period,customers,active,retention") {
      retentionGrid(rows);
    }
  }
  function bars(kind, title, items) {
    var largest = Math.max.apply(null, items.map(function (b) { return b.value || 0; }).concat([0]));
    var rowHeight = 26, labelWidth = 220, barWidth = 420, top = title ? 28 : 8;
    var chart = svg("svg", { "class": "chart", "data-chart": kind, role: "img", viewBox: "0 0 900 " + (top + items.length * rowHeight + 8) });
    chart.appendChild(svg("title", {}, (title ? title + ": " : "") + items.map(function (b) { return b.label + " " + b.note; }).join("; ")));
    if (title) chart.appendChild(svg("text", { x: 8, y: 18, "class": "title" }, title));
    items.forEach(function (b, i) {
      var y = top + i * rowHeight, width = largest > 0 ? Math.max(0, (b.value || 0) / largest * barWidth) : 0;
      chart.appendChild(svg("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end" }, b.label.length > 30 ? b.label.slice(0, 29) + "…" : b.label));
      chart.appendChild(svg("rect", { "class": "bar", x: labelWidth, y: y + 4, width: width.toFixed(1), height: rowHeight - 8, rx: 2 }));
      chart.appendChild(svg("text", { x: labelWidth + width + 8, y: y + 17 }, b.note));
    });
    chartBox.appendChild(chart);
  }
  function retentionGrid(rows) {
    var cohorts = [], cells = {}, sizes = {}, periods = 0;
    rows.forEach(function (row) {
      var cohort = cellText(row[0]).split(" ")[0], period = Number(row[1]);
      if (!cells[cohort]) { cells[cohort] = {}; cohorts.push(cohort); sizes[cohort] = cellText(row[2]); }
      cells[cohort][period] = row[4] === null ? null : Number(row[4]);
      periods = Math.max(periods, period + 1);
    });
    var shown = Math.min(periods, 13);
    var table = el("table", { "class": "grid", id: "retention-grid", "data-chart": "retention" }), head = el("tr");
    head.appendChild(el("th", {}, "cohort")); head.appendChild(el("th", {}, "customers"));
    for (var p = 0; p < shown; p++) head.appendChild(el("th", {}, String(p)));
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    cohorts.forEach(function (cohort) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, cohort)); tr.appendChild(el("td", { "class": "num" }, sizes[cohort]));
      for (var p = 0; p < shown; p++) {
        var share = cells[cohort][p];
        var shade = share === undefined || share === null ? 0 : share >= .75 ? 4 : share >= .5 ? 3 : share >= .25 ? 2 : share > 0 ? 1 : 0;
        tr.appendChild(el("td", { "class": "num shade-" + shade }, share === undefined || share === null ? "" : Math.round(share * 100) + "%"));
      }
      body.appendChild(tr);
    });
    var scroller = el("div", { "class": "scroll" }); scroller.appendChild(table); chartBox.appendChild(scroller);
  }

  validateSoon();
})();
