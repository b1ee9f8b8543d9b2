// A /dashboard link's page sends its form at once. Inside Telegram (a Mini App) sign in with the signed initData; the server checks the
// signature and answers with a session cookie. Nothing is kept in localStorage.
(function () {
  // The sign-in link's page: its form redeems the link (opening the page does not).
  // The print page's button (inline handlers are not allowed by the page's CSP).
  var printNow = document.getElementById("print-now");
  if (printNow) { printNow.addEventListener("click", function () { window.print(); }); return; }
  var redeem = document.getElementById("redeem");
  if (redeem) { redeem.submit(); return; }
  var tg = window.Telegram && window.Telegram.WebApp;
  if (!tg || !tg.initData) { return; }
  if (tg.ready) { tg.ready(); }
  if (tg.expand) { tg.expand(); }
  document.getElementById("how").hidden = true;
  document.getElementById("signing").hidden = false;
  var body = new URLSearchParams();
  body.set("initData", tg.initData);
  fetch("/auth/webapp", {method: "POST", body: body, credentials: "same-origin"})
    .then(function (r) {
      if (r.ok) { window.location.replace("/"); return; }
      document.getElementById("signing").hidden = true;
      document.getElementById("failed").hidden = false;
    });
})();
