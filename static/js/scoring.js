// Running total on the expert's scoring form (评分表). The server renders the saved total,
// so the page works without this script; here the total follows the inputs as they change.
// Sums in hundredths (integers) so 0.1 + 0.2 shows 0.30, not 0.30000000000000004.
(function () {
  "use strict";

  function hundredths(text) {
    var match = /^\s*(\d+)(?:\.(\d{0,2}))?\s*$/.exec(text || "");
    if (!match) {
      return null;
    }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function update(form, output) {
    var total = 0;
    var inputs = form.querySelectorAll("input[data-points]");
    for (var i = 0; i < inputs.length; i += 1) {
      var value = hundredths(inputs[i].value);
      if (value !== null) {
        total += value;
      }
    }
    output.textContent = Math.floor(total / 100) + "." + ("0" + (total % 100)).slice(-2);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-score-form]");
    for (var i = 0; i < forms.length; i += 1) {
      var form = forms[i];
      var output = form.querySelector("[data-score-total]");
      if (!output) {
        continue;
      }
      form.addEventListener("input", update.bind(null, form, output));
      update(form, output);
    }
  });
})();
