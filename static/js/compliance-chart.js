// Draws a program's compliance chart from the numbers the page carries (#compliance-data);
// the same numbers are in the summary beside it and in the CSV.
(function () {
  "use strict";
  var source = document.getElementById("compliance-data");
  var canvas = document.getElementById("compliance-chart");
  if (!source || !canvas || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  canvas.chart = new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: "People", data: data.values,
      backgroundColor: ["#2f9e44", "#1971c2", "#e8590c", "#c92a2a"] }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
