// The manager overview chart: queue, overdue and mean waiting time per section (data from #chart-data).
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
        { label: "処理待ち（件）", data: data.queue, backgroundColor: "#0b5cad", yAxisID: "y" },
        { label: "期限超過（件）", data: data.overdue, backgroundColor: "#b00020", yAxisID: "y" },
        { label: "平均待ち時間（分）", data: data.wait, backgroundColor: "#f5a623", yAxisID: "y1" }
      ]
    },
    options: {
      animation: false,
      responsive: true,
      scales: {
        y: { beginAtZero: true, title: { display: true, text: "件" }, ticks: { precision: 0 } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "分" } }
      }
    }
  });
  document.body.dataset.chartReady = "1";
});
