/* As-you-type suggestions for the search boxes (progressive enhancement: without this file
   the box is a plain search field that submits the form).

   The WAI-ARIA 1.2 combobox pattern with a listbox popup: the input keeps focus; Up/Down
   move through the suggestions (aria-activedescendant), Enter takes the highlighted one and
   searches, Escape closes the list (a second Escape clears the box), a click or tap takes a
   suggestion. A polite live region says how many suggestions there are. */
(function () {
  "use strict";

  var DELAY = 150;

  function enhance(input) {
    var form = input.form;
    var list = document.getElementById(input.getAttribute("data-listbox"));
    var status = form.querySelector("[data-suggest-status]");
    var baseUrl = input.getAttribute("data-suggest-url");
    var timer = null;
    var controller = null;
    var active = -1;
    var items = [];
    var lastQuery = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    function announce(text) {
      if (status) { status.textContent = text; }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      items.forEach(function (item, position) {
        item.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      input.value = items[index].textContent;
      close();
      form.submit();
    }

    function render(suggestions) {
      list.textContent = "";
      items = suggestions.map(function (text, index) {
        var item = document.createElement("li");
        item.id = list.id + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = text;  // text, never HTML: titles come from users
        // mousedown, not click: the input must not lose focus (and close the list) first.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(item);
        return item;
      });
      active = -1;
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        announce(list.getAttribute("data-count-text").replace("%(count)s", items.length));
      } else {
        close();
        announce("");
      }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (controller) { controller.abort(); }
      if (!query) { render([]); return; }
      controller = "AbortController" in window ? new AbortController() : null;
      var url = new URL(baseUrl, window.location.href);
      url.searchParams.set("q", query);
      fetch(url.toString(), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (input.value.trim() === query) { render(data.suggestions || []); }
        })
        .catch(function () { /* aborted or offline: the box still searches on Enter */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { lastQuery = null; fetchSuggestions(); return; }
        event.preventDefault();
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
          lastQuery = null;
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-suggest-url]");
    Array.prototype.forEach.call(inputs, enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
