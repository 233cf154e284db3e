// Draws every <canvas data-chart="ID"> with Chart.js from the JSON in <script id="ID">
// (Django's json_script), in colours read from the page's theme, and redraws them when the
// theme changes (the html element's data-theme). Each chart's numbers are also in a table
// next to it, for screen readers and for copying.
(function () {
  "use strict";
  // Distinguishable in light and dark (and for the common colour-vision deficiencies).
  const PALETTE = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728", "#17becf"];
  const charts = [];

  function themeColours() {
    const style = getComputedStyle(document.documentElement);
    const read = (name, fallback) => (style.getPropertyValue(name) || "").trim() || fallback;
    return {
      text: read("--pico-color", "#333"),
      grid: read("--pico-muted-border-color", "#ccc"),
    };
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    const spec = JSON.parse(source.textContent);
    const colours = themeColours();
    const datasets = spec.datasets.map((dataset, i) => {
      const colour = PALETTE[i % PALETTE.length];
      return Object.assign({}, dataset, {
        borderColor: colour,
        backgroundColor: spec.type === "bar" ? colour : colour + "33",
        pointRadius: spec.labels.length > 60 ? 0 : 2,
        tension: 0.2,
        fill: false,
      });
    });
    const chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { color: colours.text } } },
        scales: {
          x: { ticks: { color: colours.text, maxRotation: 0, autoSkip: true }, grid: { color: colours.grid } },
          y: { beginAtZero: true, ticks: { color: colours.text, precision: 0 }, grid: { color: colours.grid } },
        },
      },
    });
    canvas.dataset.drawn = "true";
    charts.push(chart);
  }

  function redraw() {
    const colours = themeColours();
    for (const chart of charts) {
      chart.options.plugins.legend.labels.color = colours.text;
      for (const axis of Object.values(chart.options.scales)) {
        axis.ticks.color = colours.text;
        axis.grid.color = colours.grid;
      }
      chart.update();
    }
  }

  function init() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
    new MutationObserver(redraw).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
