"""Issue 19, items 5 and 6: figures ready for a paper. Every map has a colorbar saying what its
values are; one title scheme; one layout for one method and for all, without stray white
margins; a legend wherever several curves are drawn; `-m all` says what it left out and why;
FGSM says whether it fooled the network."""
import pytest
from cli_runs import cli, colorbars, footer, margins, texts, titled

LOOKS_AT = "What the network looks at for: "
COLORBARS = {  # method: its colorbar's label on the bundled (grey) model
    "saliency": "|∂ logit / ∂ pixel|",
    "gradient-x-input": "|gradient × input| (logit)",
    "deconvnet": "deconvnet signal of the logit (grey = 0)",
    "guided-backprop": "guided gradient of the logit (grey = 0)",
    "smoothgrad": "|∂ logit / ∂ pixel|, mean over noise",
    "integrated-gradients": "|attribution| (logit)",
    "gradcam": "relevance, scaled to 0..1",
    "gradcam++": "relevance, scaled to 0..1",
    "guided-gradcam": "guided gradient × Grad-CAM (grey = 0)",
    "scorecam": "relevance, scaled to 0..1",
}
OPTIONS = {"smoothgrad": ["--samples", "3"], "integrated-gradients": ["--steps", "3"]}


@pytest.mark.parametrize("method", list(COLORBARS))
def test_every_map_has_a_colorbar_and_one_title_scheme(tmp_path, capsys, monkeypatch, method):
    out = tmp_path / "x.png"
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", method, "-o", out, *OPTIONS.get(method, []))
    assert ran.code == 0 and ran.out == f"{out}\n"
    fig = ran.figure
    assert colorbars(fig) == [COLORBARS[method]]
    assert fig.get_suptitle().startswith(LOOKS_AT + "Pullover (p = ")
    layer = " at block2_conv2_relu" if method in ("gradcam", "gradcam++", "guided-gradcam", "scorecam") else ""
    pictures = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in pictures][1].endswith(layer) and pictures[0].get_title() == "Input"
    assert pictures[0].get_position().size == pytest.approx(pictures[1].get_position().size)  # one layout
    assert max(margins(out)) < 0.04  # no stray white margins


def test_all_has_a_colorbar_per_map_one_layout_and_says_what_it_left_out(tmp_path, capsys, monkeypatch):
    out = tmp_path / "all.png"
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", "all", "--samples", "3", "--steps", "3", "-o", out)
    assert ran.code == 0
    fig = ran.figure
    assert len(colorbars(fig)) == 9 and set(colorbars(fig)) <= set(COLORBARS.values())
    assert fig.get_suptitle().startswith(LOOKS_AT + "Pullover (p = ") and \
        fig.get_suptitle().endswith("(CAMs at block2_conv2_relu)")
    pictures = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len({tuple(ax.get_position().size.round(6)) for ax in pictures}) == 1  # every picture the same size
    said = ("-m all left out occlusion and fgsm (each has a figure of its own: -m occlusion, -m fgsm); "
            "gradient-x-input (saliency times the image, shown on its own: -m gradient-x-input)")
    assert said in ran.err and said in footer(fig)
    assert max(margins(out)) < 0.04


def test_occlusion_has_colorbars_on_its_maps(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", "occlusion", "--patch", "7", "--stride", "7",
              "-o", tmp_path / "o.png")
    assert ran.code == 0
    assert colorbars(ran.figure) == ["target p with the patch there", "drop in the p when occluded"]
    assert ran.figure.get_suptitle().startswith(LOOKS_AT + "Pullover (p = ")


def test_approximate_occlusion_says_so(tmp_path, capsys, monkeypatch):
    """--speedup runs the adaptive drill-down (a 22x22 grid at stride 1: every 3rd position and
    some blocks exact for 4x), and panel (a) says how much of the map is exact."""
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", "occlusion", "--patch", "7", "--stride", "1",
              "--speedup", "4", "-o", tmp_path / "o.png")
    assert ran.code == 0
    (title,) = [t for t in texts(ran.figure) if t.startswith("(a) image, patch 7x7, stride 1")]
    assert "approximate: " in title and "% exact, rest bilinear" in title
    assert "100% exact" not in title
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", "gradcam", "--speedup", "4", "-o", tmp_path / "g.png")
    assert ran.code == 2 and "gradcam takes no option --speedup" in ran.err


def test_feature_maps_have_a_colorbar(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "feature-maps", "sample:20", "--layer", "block1_conv2_relu", "-o", tmp_path / "f.png")
    assert colorbars(ran.figure) == ["activation of block1_conv2_relu"]
    ran = cli(capsys, monkeypatch, "feature-maps", "sample:20", "--layer", "block1_conv2_relu", "--channel", "3",
              "-o", tmp_path / "c.png")
    assert colorbars(ran.figure) == ["activation of block1_conv2_relu:3"]
    assert "block1_conv2_relu:3" in texts(ran.figure)


def test_several_curves_have_a_legend(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "actmax", "--target", "Trouser", "--target", "8", "--steps", "3",
              "-o", tmp_path / "a.png")
    assert ran.code == 0
    (curves,) = [ax for ax in ran.figure.axes if ax.get_legend() is not None]
    assert [t.get_text() for t in curves.get_legend().get_texts()] == ["Trouser", "Bag"]


def test_fgsm_says_whether_it_fooled_the_network(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", "fgsm", "--epsilon", "0", "-o", tmp_path / "f.png")
    assert ran.code == 0 and "not fooled at epsilon 0: try a larger --epsilon" in ran.err
    title = ran.figure.get_suptitle()
    assert title.startswith("FGSM (Goodfellow et al. 2015) at epsilon 0 grey levels\nnot fooled at epsilon 0: "
                            "still Pullover (p = ")
    ran = cli(capsys, monkeypatch, "explain", "sample:20", "-m", "fgsm", "--epsilon", "64", "-o", tmp_path / "g.png")
    title = ran.figure.get_suptitle()
    assert ran.code == 0 and "\nfooled: Pullover (p = " in title and " -> " in title  # before and after
    assert "not fooled" not in ran.err
    assert titled(ran.figure, "adversarial")
