// The manager overview chart: queue, overdue and mean waiting time per section (data and its words, in the page's language, from #chart-data).
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("queue-chart");
  var source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  canvas.chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.texts.queue, data: data.queue, backgroundColor: "#0b5cad", yAxisID: "y" },
        { label: data.texts.overdue, data: data.overdue, backgroundColor: "#b00020", yAxisID: "y" },
        { label: data.texts.wait, data: data.wait, backgroundColor: "#f5a623", yAxisID: "y1" }
      ]
    },
    options: {
      animation: false,
      responsive: true,
      scales: {
        y: { beginAtZero: true, title: { display: true, text: data.texts.items }, ticks: { precision: 0 } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: data.texts.minutes } }
      }
    }
  });
  document.body.dataset.chartReady = "1";
});
