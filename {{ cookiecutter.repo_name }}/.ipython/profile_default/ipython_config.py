"""IPython configuration of this project's profile.

IPython reads it when it starts with this profile: `kedro ipython`,
`kedro jupyter lab` / `kedro jupyter notebook` and the project's Jupyter
kernel (see the README, "Notebooks and IPython"). Files in startup/ run next,
in name order, once the project is loaded.
"""

c = get_config()  # noqa: F821 (defined by IPython when it reads this file)

# Load the Kedro project (session, context, catalog, pipelines and the
# %reload_kedro magic) however IPython was started, even as a plain `ipython`
# with this profile. `kedro ipython` asks for it too: it is loaded once.
c.InteractiveShellApp.extensions = ["kedro.ipython"]
