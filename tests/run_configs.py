"""Run configurations for end-to-end tests: plain-text datasets and a local model folder."""


def write_text_run_config(folder, sentences, model, *, seed=1, k=3, controls=2, extra=""):
    """Write ``folder/run.toml`` over ``sentences`` (dataset name -> lines, written beside it), with
    4 neurons and 3 random directions; ``extra`` is appended TOML. Returns its path."""
    for name, lines in sentences.items():
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")
    datasets = "".join(f'[[datasets]]\nname = "{n}"\nplugin = "text"\npath = "{folder / n}.txt"\nmin_words = 1\n\n'
                       for n in sentences)
    path = folder / "run.toml"
    path.write_text(f'seed = {seed}\nk = {k}\ncontrols = {controls}\n[model]\nplugin = "transformer"\nmodel = "{model}"\n'
                    f'device = "cpu"\n\n{datasets}[[samplers]]\nplugin = "neuron"\ncount = 4\n\n'
                    f'[[samplers]]\nplugin = "random"\ncount = 3\n{extra}')
    return path
