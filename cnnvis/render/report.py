"""The HTML report: a gallery with one section per method — what it shows, the figures,
the parameters and the time it took. Images are PNG/GIF files beside index.html; every
file is written atomically."""
import html
import os
import time
import traceback
from contextlib import contextmanager

import numpy as np
from matplotlib.figure import Figure

from ..errors import OutputError
from ..io import atomic_path, check_folder, write_text
from .common import save_figure, save_png

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1180px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
nav { columns: 3; font-size: 0.9em; } nav a { display: block; }
.what { color: #444; } figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 60em; }
table.params { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
table.params td { border: 1px solid #ddd; padding: 2px 8px; }
.time { font-size: 0.85em; color: #777; } pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto;
       font-size: 0.8em; }
.error { color: #a00; }
"""

# After loading, the page records whether every image decoded (data-images on <body>) and logs
# the ones that did not: what tests/test_demo.py's headless-browser check reads.
CHECK_IMAGES = """
window.addEventListener("load", function () {
  var bad = [];
  for (var i = 0; i < document.images.length; i++) {
    var img = document.images[i];
    if (!img.complete || img.naturalWidth === 0) bad.push(img.getAttribute("src"));
  }
  document.body.setAttribute("data-images", bad.length ? "broken " + bad.join(" ")
                                                      : "loaded " + document.images.length);
  if (bad.length) console.error("images that did not load: " + bad.join(", "));
});
"""


class Report:
    """Collects sections and writes DIR/index.html. Use::

        report = Report("cnnvis demo", out_dir)
        with report.section("Saliency", "what it shows", {"target": "predicted"}) as s:
            s.figure(fig, "saliency", "caption")
        report.write()
    """

    def __init__(self, title, out_dir, intro=""):
        self.title, self.out_dir, self.intro = title, str(out_dir), intro
        self.sections, self.errors = [], []
        os.makedirs(check_folder(os.path.join(self.out_dir, "images")), exist_ok=True)

    @contextmanager
    def section(self, title, what, params=None):
        """A section; its time is measured around the block. An exception inside does not stop
        the report: it is shown in red in the section and listed in ``report.errors``; but an
        OutputError (a full disk, say) does, as every later section would fail the same way."""
        sec = Section(self, title, what, params or {})
        started = time.perf_counter()
        try:
            yield sec
        except OutputError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown in the page and counted, never hidden
            sec.error = f"{type(exc).__name__}: {exc}"
            self.errors.append((title, sec.error, traceback.format_exc()))
        finally:
            sec.seconds = time.perf_counter() - started
            self.sections.append(sec)

    def write(self):
        """Write index.html; returns its path."""
        toc = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in self.sections)
        body = "".join(s.html() for s in self.sections)
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>{html.escape(self.title)}</title><style>{STYLE}</style></head><body>"
                f"<h1>{html.escape(self.title)}</h1><p>{self.intro}</p><nav>{toc}</nav>{body}"
                f"<script>{CHECK_IMAGES}</script></body></html>")
        return write_text(os.path.join(self.out_dir, "index.html"), page)


class Section:
    def __init__(self, report, title, what, params):
        self.report, self.title, self.what, self.params = report, title, what, params
        self.items, self.seconds, self.error = [], 0.0, None
        self.anchor = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")

    def figure(self, content, name, caption=""):
        """Add a matplotlib Figure, an image array (H, W[, 3]) or an existing file path."""
        rel = os.path.join("images", f"{self.anchor}-{name}")
        path = os.path.join(self.report.out_dir, rel)
        if isinstance(content, Figure):
            rel, path = rel + ".png", path + ".png"
            save_figure(content, path, dpi=110)
        elif isinstance(content, np.ndarray):
            rel, path = rel + ".png", path + ".png"
            save_png(content, path)
        else:  # a file written elsewhere: copy it in
            ext = os.path.splitext(str(content))[1]
            rel, path = rel + ext, path + ext
            with open(content, "rb") as src, atomic_path(path) as tmp, open(tmp, "wb") as dst:
                dst.write(src.read())
        self.items.append(("figure", rel, caption))

    def gif(self, write, name, caption=""):
        """Add an animation: write(path) writes the GIF (atomically) to the path it is given."""
        rel = os.path.join("images", f"{self.anchor}-{name}.gif")
        write(os.path.join(self.report.out_dir, rel))
        self.items.append(("figure", rel, caption))

    def text(self, text, pre=False):
        self.items.append(("pre" if pre else "p", text, ""))

    def html(self):
        params = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                         for k, v in self.params.items())
        parts = [f'<h2 id="{self.anchor}">{html.escape(self.title)}</h2>',
                 f'<p class="what">{self.what}</p>']
        if params:
            parts.append(f'<table class="params">{params}</table>')
        for kind, value, caption in self.items:
            if kind == "figure":
                parts.append(f'<figure><img src="{html.escape(value)}" alt="{html.escape(caption or value)}">'
                             f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            elif kind == "pre":
                parts.append(f"<pre>{html.escape(value)}</pre>")
            else:
                parts.append(f"<p>{value}</p>")
        if self.error:
            parts.append(f'<p class="error">failed: {html.escape(self.error)}</p>')
        parts.append(f'<p class="time">took {self.seconds:.1f} s</p>')
        return "".join(parts)
