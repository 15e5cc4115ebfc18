// The guide's print button prints the guide's PDF itself (the framed document), so what is printed is what the
// resident is given; without a frame it opens the PDF. No inline handlers: the CSP allows our own scripts only.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-guide");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var frame = document.getElementById("guide-pdf");
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch (err) {
      window.open(button.dataset.pdf, "_blank", "noopener");
    }
  });
});
