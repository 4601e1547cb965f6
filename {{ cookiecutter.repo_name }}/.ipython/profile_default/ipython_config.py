"""IPython configuration of this project's profile.

IPython reads it when it starts with this profile: `kedro ipython`,
`kedro jupyter lab` / `kedro jupyter notebook` and the project's Jupyter
kernel (see docs/notebooks.md). It keeps the project's
IPython history apart from your other work, and is yours to extend (e.g.
with %autoreload). The project's MLflow behaviour in IPython does not depend
on it: the project's Kedro hooks bring it (src/<package>/mlflow_wiring/).
"""

c = get_config()  # noqa: F821 (defined by IPython when it reads this file)

# Load the Kedro project (session, context, catalog, pipelines and the
# %reload_kedro magic) however IPython was started, even as a plain `ipython`
# with this profile. `kedro ipython` asks for it too: it is loaded once.
c.InteractiveShellApp.extensions = ["kedro.ipython"]
