// The guide's print button (no inline handlers: the CSP allows scripts from our origin only).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-guide");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
});
