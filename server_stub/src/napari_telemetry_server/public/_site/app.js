// napari telemetry dashboard: renders the Vega-Lite specs embedded in the page.
// Everything it needs is in the page itself (no fetch), so it works from file:// as well.
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var views = {};
  var turns = {};  // per chart element: the latest render asked for (an older one is dropped)
  window.napariTelemetry = { page: page, views: views };

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value === null || value === undefined ? "–" : String(value); }
  }

  // template: the spec of page.charts to draw in element id (default: the one named id).
  function render(id, datasets, template, title) {
    var el = document.getElementById(id);
    var spec = JSON.parse(JSON.stringify(page.charts[template || id]));
    spec.datasets = datasets;
    if (title) { spec.title = title; }
    var name = spec.data && spec.data.name;
    var turn = (turns[id] || 0) + 1;
    turns[id] = turn;
    if (!name || !datasets[name] || datasets[name].length === 0) {
      el.classList.add("empty");
      el.textContent = "Nothing released here yet (or nothing cleared the privacy threshold).";
      delete views[id];
      return Promise.resolve();
    }
    el.classList.remove("empty");
    // Drawn into a new box: a slower, older render (another plugin chosen before this one)
    // finishes into a box no longer on the page, and is dropped.
    var box = document.createElement("div");
    el.replaceChildren(box);
    return vegaEmbed(box, spec, { actions: false, renderer: "svg" }).then(function (result) {
      if (turns[id] !== turn) { result.view.finalize(); return; }
      views[id] = result.view;
    });
  }

  function showPlugin(name) {
    var detail = page.plugins[name] || { trend: [], versions: [], commands: [] };
    text("plugin-name", name);
    return Promise.all([
      render("chart-plugin-trend", { plugin_trend: detail.trend }),
      render("chart-plugin-versions", { plugin_versions: detail.versions }),
      render("chart-commands", { commands: detail.commands })
    ].concat(showCounters(name, detail.counters || [])));
  }

  function interval(value, accuracy) {
    if (value === null || value === undefined) { return "–"; }
    return accuracy === null || accuracy === undefined ? String(value)
      : value + " ± " + accuracy;
  }

  function cells(tr, values, tag) {
    values.forEach(function (value) {
      var cell = document.createElement(tag);
      cell.textContent = value;
      tr.appendChild(cell);
    });
  }

  // One counter's labels: the latest week and the latest quarter's mean, with their intervals.
  function counterTable(entry) {
    var table = document.createElement("table");
    table.className = "counter-table";
    var quarter = entry.labels.map(function (l) { return l.window; })
      .filter(function (w) { return w; })[0];
    var head = document.createElement("tr");
    cells(head, ["label", "weekly installs, " + (k.week || "latest week"),
      "mean weekly installs, " + (quarter || "no quarter released yet"),
      "install-weeks in the quarter"], "th");
    table.createTHead().appendChild(head);
    var body = table.createTBody();
    entry.labels.forEach(function (l) {
      var tr = document.createElement("tr");
      cells(tr, [l.label || "(no label)", interval(l.latest, l.latest_accuracy),
        interval(l.mean, l.mean_accuracy), l.install_weeks === null ? "–"
          : l.install_weeks + " over " + l.weeks + " weeks"], "td");
      body.appendChild(tr);
    });
    return table;
  }

  function showCounters(name, entries) {
    var box = document.getElementById("plugin-counters");
    box.textContent = "";
    box.hidden = entries.length === 0;
    return entries.map(function (entry, i) {
      var heading = document.createElement("h3");
      heading.textContent = "Counter " + name + "." + entry.counter;
      var chart = document.createElement("div");
      chart.className = "chart wide";
      chart.id = "chart-counter-" + i;
      box.append(heading, counterTable(entry), chart);
      return render(chart.id, { counter_trend: entry.trend }, "chart-plugin-counter",
        "Weekly installs that counted " + name + "." + entry.counter + " (95 % interval)");
    });
  }

  // The plugins whose own counters are released, each a button to its page.
  function counterPlugins() {
    var names = Object.keys(page.plugins).filter(function (name) {
      return (page.plugins[name].counters || []).length > 0;
    }).sort();
    var list = document.getElementById("counter-plugins");
    document.getElementById("counter-plugins-note").hidden = names.length === 0;
    names.forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = name;
      button.addEventListener("click", function () { choose(name); });
      list.append(list.childNodes.length ? ", " : "", button);
    });
  }

  function choose(name) {
    showPlugin(name);
    history.replaceState(null, "", "#plugin=" + encodeURIComponent(name));
    document.getElementById("plugin").scrollIntoView();
  }

  function pluginTable() {
    var body = document.querySelector("#plugin-table tbody");
    if (page.window) {
      text("plugin-mean-head", "mean weekly installs, " + page.window);
    }
    page.plugin_index.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.dataset.plugin = row.plugin;
      [row.plugin,
        row.latest === null ? "below the threshold" : interval(row.latest, row.latest_accuracy),
        interval(row.mean, row.mean_accuracy)]
        .forEach(function (value, i) {
          var td = document.createElement("td");
          if (i === 0) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = value;
            button.addEventListener("click", function () { choose(row.plugin); });
            td.appendChild(button);
          } else {
            td.textContent = value;
          }
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
    document.getElementById("plugin-search").addEventListener("input", function (event) {
      var query = event.target.value.trim().toLowerCase();
      body.querySelectorAll("tr").forEach(function (tr) {
        tr.hidden = query !== "" && tr.dataset.plugin.indexOf(query) === -1;
      });
    });
  }

  var k = page.key_figures;
  text("kpi-week", k.week);
  text("kpi-active", k.week ? interval(k.active_installs, k.active_accuracy) : null);
  text("kpi-new", k.week ? interval(k.new_installs, k.new_accuracy) : null);
  text("kpi-mean-4", k.mean_4);
  text("kpi-mean-13", k.mean_13);
  text("kpi-mean-52", k.mean_52);
  pluginTable();
  counterPlugins();
  document.getElementById("show-napari").addEventListener("click", function () {
    showPlugin("napari");
  });
  var rendered = Object.keys(page.charts)
    .filter(function (id) { return id.indexOf("chart-plugin-") !== 0 && id !== "chart-commands"; })
    .map(function (id) { return render(id, page.datasets); });
  // A plugin's own page: index.html#plugin=NAME (links from a README or a badge).
  var linked = decodeURIComponent((location.hash.match(/^#plugin=(.+)$/) || [])[1] || "");
  var first = page.plugins[linked] ? linked
    : (page.plugin_index.length ? page.plugin_index[0].plugin : "napari");
  rendered.push(showPlugin(first));
  Promise.all(rendered).then(function () {
    document.body.dataset.rendered = "true";
  }, function (error) {
    console.error(error);
  });
})();
