// napari telemetry dashboard: renders the Vega-Lite specs embedded in the page.
// Everything it needs is in the page itself (no fetch), so it works from file:// as well.
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var views = {};
  window.napariTelemetry = { page: page, views: views };

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value === null || value === undefined ? "–" : String(value); }
  }

  function render(id, datasets) {
    var el = document.getElementById(id);
    var spec = JSON.parse(JSON.stringify(page.charts[id]));
    spec.datasets = datasets;
    var name = spec.data && spec.data.name;
    if (!name || !datasets[name] || datasets[name].length === 0) {
      el.classList.add("empty");
      el.textContent = "Nothing released here yet (or nothing cleared the privacy threshold).";
      delete views[id];
      return Promise.resolve();
    }
    el.classList.remove("empty");
    return vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function (result) {
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
    ]);
  }

  function interval(value, accuracy) {
    if (value === null || value === undefined) { return "–"; }
    return accuracy === null || accuracy === undefined ? String(value)
      : value + " ± " + accuracy;
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
            button.addEventListener("click", function () {
              showPlugin(row.plugin);
              history.replaceState(null, "", "#plugin=" + encodeURIComponent(row.plugin));
              document.getElementById("plugin").scrollIntoView();
            });
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
