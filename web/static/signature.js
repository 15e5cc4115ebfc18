// The signature tablet page: signature_pad on a canvas; the PNG goes into the form as a data URL.
(function () {
  const canvas = document.getElementById("signature-pad");
  if (!canvas) { return; }
  const pad = new SignaturePad(canvas, {penColor: "#000", backgroundColor: "rgba(0,0,0,0)"});
  document.getElementById("signature-clear").addEventListener("click", () => pad.clear());
  document.getElementById("signature-form").addEventListener("submit", (event) => {
    if (pad.isEmpty()) { event.preventDefault(); document.getElementById("signature-error").hidden = false; return; }
    document.getElementById("signature-data").value = pad.toDataURL("image/png");
  });
  canvas.dataset.ready = "1";  // strokes drawn before this would be lost: the tests wait for it
})();
