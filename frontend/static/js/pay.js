// The pay page: mount Stripe's card element, confirm the PaymentIntent, then go to the change's
// page (it shows "waiting for your payment" until Stripe's webhook says it went through).
// Works with the real Stripe.js and with localstripe's stand-in (tests): only Stripe(),
// elements().create("card").mount(), and confirmCardPayment() are used.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var errors = document.getElementById("pay-errors");
  var button = document.getElementById("pay-button");
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");

  function showError(message) {
    errors.textContent = message || form.dataset.errorGeneric;
    errors.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.hidden = true;
    button.disabled = true;
    stripe
      .confirmCardPayment(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        var intent = result.paymentIntent || (result.error && result.error.payment_intent);
        if (result.error && result.error.type === "card_error" && intent) {
          // Stripe refused this payment: the change is declined (its page says so), so the
          // same payment must not be tried again from here.
          window.location.assign(form.dataset.returnUrl);
          return;
        }
        if (result.error) {
          showError(result.error.message); // e.g. an incomplete card number: fix and retry
          return;
        }
        if (intent && intent.status !== "succeeded" && intent.status !== "processing") {
          showError(); // e.g. the 3-D Secure check was not completed
          return;
        }
        window.location.assign(form.dataset.returnUrl);
      })
      .catch(function () {
        showError();
      });
  });
})();
