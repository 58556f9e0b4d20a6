// The buyer's payment-method page: Stripe.js collects the card and confirms the SetupIntent;
// the form then posts the SetupIntent id, and the server reads the saved method from Stripe.
(function () {
  "use strict";
  var form = document.getElementById("payment-method-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    stripe
      .confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          errors.textContent = result.error.message;
          return;
        }
        form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
        form.submit();
      });
  });
})();
