/* Draws every [data-figure] element with the plotly.js the app serves (no CDN, no inline script). */
(function () {
  var script = document.currentScript;
  var config = {displaylogo: false, responsive: true,
                topojsonURL: script.dataset.topojson,  // the world map from this app, not a CDN
                modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  document.querySelectorAll("[data-figure]").forEach(function (el) {
    var figure = JSON.parse(el.dataset.figure);
    var options = el.classList.contains("sparkline") ? {staticPlot: true} : config;
    Plotly.newPlot(el, figure.data, figure.layout, Object.assign({}, config, options))
      .then(function () { el.dataset.drawn = "1"; });
  });
})();
