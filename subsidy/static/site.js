// Progressive enhancement only: every page works without this file.
// - the header's menu collapses behind a button on a phone;
// - the applicant field of the application form suggests applicants as an official types.
"use strict";

document.documentElement.classList.add("js");

function setUpMenu() {
  const toggle = document.querySelector("header.site .menu-toggle");
  const menu = document.getElementById("site-menu");
  if (!toggle || !menu) return;
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      menu.classList.remove("open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
}

// The applicant field: a <datalist> filled from the search endpoint the field names
// (data-search), so that the browser offers "IIN — name" as the official types a name or digits.
function setUpApplicantSearch() {
  const field = document.querySelector("input[data-search]");
  if (!field) return;
  const list = document.createElement("datalist");
  list.id = field.id + "-suggestions";
  field.after(list);
  field.setAttribute("list", list.id);
  field.removeAttribute("inputmode"); // a name is typed in letters; digits still work
  field.setAttribute("autocomplete", "off");
  const status = document.getElementById(field.id + "-search-status");
  let timer = null;
  let asked = "";
  field.addEventListener("input", () => {
    clearTimeout(timer);
    const query = field.value.trim();
    if (query.length < 2 || /^\d{12}$/.test(query) || query === asked) return;
    timer = setTimeout(async () => {
      asked = query;
      const url = field.dataset.search + "?q=" + encodeURIComponent(query);
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const found = await response.json();
        list.replaceChildren(
          ...found.items.map((item) => {
            const option = document.createElement("option");
            option.value = item.iin_bin;
            option.label = item.name + " · " + item.district;
            option.textContent = item.name + " · " + item.district;
            return option;
          }),
        );
        if (status) status.textContent = found.summary;
      } catch (error) {
        // No suggestions: the field still takes a typed IIN/BIN.
      }
    }, 200);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpMenu();
  setUpApplicantSearch();
});
