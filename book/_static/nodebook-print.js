// Print: plotly draws a figure at the width of the screen it was opened on, and the page is then laid out
// at the paper's width, which cut figures off on the right. Before printing, each figure is redrawn at
// 640 px at most (A4 less the margins is about 688 px; the article pads it); after printing, it follows its container again.
(function () {
  const PRINT_WIDTH = 640;
  const figures = () => Array.from(document.querySelectorAll(".js-plotly-plot"));
  window.addEventListener("beforeprint", () => {
    if (!window.Plotly) return;
    figures().forEach(gd => {
      const width = (gd._fullLayout || {}).width || PRINT_WIDTH;
      if (width > PRINT_WIDTH) {
        gd.dataset.nodebookScreenWidth = String(width);
        Plotly.relayout(gd, {width: PRINT_WIDTH});
      }
    });
  });
  window.addEventListener("afterprint", () => {
    if (!window.Plotly) return;
    figures().filter(gd => gd.dataset.nodebookScreenWidth).forEach(gd => {
      delete gd.dataset.nodebookScreenWidth;
      Plotly.relayout(gd, {width: null, autosize: true});
    });
  });
})();
