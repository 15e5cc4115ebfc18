// The display board: a chime when a new number is called (off until staff turn it on: browsers only play sound
// after a click), and the latest call read out by screen readers through the board's aria-live region.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("chime-toggle");
  const board = document.getElementById("board");
  let audio = null;
  let on = false;
  const latest = () => (board.querySelector("[data-latest]") || {}).dataset?.latest || "";
  let last = latest();
  const chime = () => {
    if (!on || !audio) return;
    [660, 880].forEach((hz, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.2, audio.currentTime + i * 0.4);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.4 + 0.6);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + i * 0.4);
      osc.stop(audio.currentTime + i * 0.4 + 0.6);
    });
  };
  toggle.addEventListener("click", () => {
    on = !on;
    if (on && !audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    toggle.setAttribute("aria-pressed", String(on));
    toggle.textContent = on ? toggle.dataset.on || "チャイム：入" : toggle.dataset.off || "チャイム：切";
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    const now = latest();
    if (now && now !== last) { chime(); document.body.dataset.chimed = now; }
    last = now;
  });
});
