// Draws the impact dashboard's charts from the numbers the page carries (#impact-data);
// the same numbers are in the tables beside them and in the CSV links.
(function () {
  "use strict";
  var source = document.getElementById("impact-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var palette = ["#1971c2", "#2f9e44", "#e8590c", "#9c36b5", "#c2255c", "#0c8599", "#5f3dc4", "#e67700", "#495057", "#862e9c"];
  function datasets(series) {
    return Object.keys(series).map(function (name, i) {
      return { label: name, data: series[name], backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length] };
    });
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { canvas.chart = new Chart(canvas, config); }
  }
  draw("funnel-chart", {
    type: "bar",
    data: { labels: data.funnel.labels, datasets: [{ label: "Count", data: data.funnel.values, backgroundColor: palette[0] }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } } }
  });
  draw("categories-chart", {
    type: "bar", data: { labels: data.months, datasets: datasets(data.categories) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });
  draw("tags-chart", { type: "line", data: { labels: data.months, datasets: datasets(data.tags) }, options: { scales: { y: { beginAtZero: true } } } });
  draw("timing-chart", {
    type: "bar",
    data: { labels: data.timing_labels, datasets: [
      { label: "To triage", data: data.timing.triage, backgroundColor: palette[0] },
      { label: "To ship", data: data.timing.ship, backgroundColor: palette[1] }
    ] },
    options: { scales: { y: { beginAtZero: true } } }
  });
  document.documentElement.dataset.chartsDrawn = "true";
})();
