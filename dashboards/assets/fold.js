// Phones: the menu button opens the menu, the filters line opens the filters drawer.
// A class on the parent, set here without a round trip to the server (CSS shows what it opens).
document.addEventListener("click", function (event) {
  const button = event.target.closest(".menu-button, .filters-button");
  if (!button) return;
  const holder = button.closest(".app-header, .filter-drawer");
  if (holder) holder.classList.toggle("open");
});
