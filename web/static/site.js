// NDS Autos: the least JavaScript that makes the pages nicer. Every page works
// without it; htmx (loaded before this file) swaps fragments where it helps.
(function () {
  "use strict";

  // Filter forms apply as soon as a choice changes (the button stays for keyboards and no-JS).
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-auto-submit]");
    if (form && event.target.type !== "text" && event.target.type !== "number") {
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  // Destructive actions ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // A conversation thread follows new messages through server-sent events; the
  // server sends each message already rendered.
  function followThread() {
    var list = document.querySelector("[data-live-thread]");
    if (!list || !window.EventSource) { return; }
    var source = new EventSource(list.getAttribute("data-live-thread"));
    source.addEventListener("message", function (event) {
      var holder = document.createElement("div");
      holder.innerHTML = event.data;
      var item = holder.firstElementChild;
      if (!item || document.getElementById(item.id)) { return; }
      list.appendChild(item);
      item.scrollIntoView({ block: "nearest" });
    });
    var hint = document.querySelector("[data-live-hint]");
    if (hint) { hint.hidden = false; }
  }

  // Stripe's Payment Element, where a page offers a payment.
  function mountPayment() {
    var holder = document.querySelector("[data-stripe-key]");
    if (!holder || !window.Stripe) { return; }
    var stripe = window.Stripe(holder.getAttribute("data-stripe-key"));
    var elements = stripe.elements({ clientSecret: holder.getAttribute("data-client-secret"), locale: document.documentElement.lang });
    elements.create("payment").mount(holder.querySelector("[data-payment-element]"));
    var form = holder.closest("form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      stripe.confirmPayment({ elements: elements, confirmParams: { return_url: holder.getAttribute("data-return-url") } })
        .then(function (result) {
          if (result.error) { holder.querySelector("[data-payment-error]").textContent = result.error.message; }
        });
    });
  }

  function ready() { followThread(); mountPayment(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
