/* Draws every [data-figure] element with the plotly.js the app serves (no CDN, no inline script). */
(function () {
  var script = document.currentScript;
  var config = {displaylogo: false, responsive: true,
                topojsonURL: script.dataset.topojson,  // the world map from this app, not a CDN
                modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  var figures = [].map.call(document.querySelectorAll("[data-figure]"), function (el) {
    return {el: el, figure: JSON.parse(el.dataset.figure)};
  });
  // plotly.js would ask for the map's outlines by a name of its own; handing them over
  // fetches them under their content-hashed name, which the browser keeps.
  var maps = figures.some(function (f) { return f.figure.layout.geo; });
  var outlines = !maps ? Promise.resolve() : fetch(script.dataset.world)
    .then(function (answer) { return answer.json(); })
    .then(function (world) { window.PlotlyGeoAssets.topojson.world_110m = world; })
    .catch(function () {});  // plotly.js then asks topojsonURL itself
  outlines.then(function () {
    figures.forEach(function (f) {
      var options = f.el.classList.contains("sparkline") ? {staticPlot: true} : {};
      Plotly.newPlot(f.el, f.figure.data, f.figure.layout, Object.assign({}, config, options))
        .then(function () { f.el.dataset.drawn = "1"; });
    });
  });
})();
