// A case's BPMN diagram (bpmn-js viewer) with completed and waiting tasks marked.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("diagram");
  if (!box || typeof BpmnJS === "undefined") { return; }
  var markers = JSON.parse(box.dataset.markers);
  var viewer = new BpmnJS({ container: box });
  fetch(box.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      ["done", "active"].forEach(function (kind) {
        markers[kind].forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "task-" + kind); }
        });
      });
      box.dataset.ready = "1";
    })
    .catch(function (err) {
      box.textContent = (box.dataset.failed || "図を表示できませんでした：") + err.message;
      box.dataset.ready = "error";
    });
});
