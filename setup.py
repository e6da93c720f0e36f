from setuptools import find_packages, setup

setup(
    name="emuvim",
    version="0.1.0",
    description="Emulate multi-PoP NFV infrastructures (vim-emu compatible) on one Linux machine",
    long_description=open("README.md").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["emuvim", "emuvim.*"]),
    # the dashboard's page, scripts and vendored graph/chart libraries
    package_data={"emuvim.api.dashboard": ["static/*.*", "static/vendor/*"]},
    # Mininet comes from Debian's python3-mininet (the PyPI release is stale and
    # lacks mnexec); the virtualenv is created with --system-site-packages.
    install_requires=[
        "docker>=7",
        "os-ken>=2.0",
        "networkx>=3",
        "pyyaml>=6",
        "fastapi>=0.100",
        "python-multipart>=0.0.9",
        "uvicorn>=0.20",
        "requests>=2.28",
        "httpx>=0.24",
        "prometheus-client>=0.16",
        "pyroute2>=0.9",          # netlink: interface plumbing without ip/ethtool processes
        "rich>=13",
    ],
    extras_require={"test": ["pytest>=7", "pytest-timeout>=2", "schemathesis>=4",
                             # drives Debian's Chromium in the dashboard tests
                             # (its own browser download is never used)
                             "playwright>=1.40",
                             # the real OpenStack clients the OpenStack API is tested with
                             "openstacksdk>=4", "python-openstackclient>=7",
                             "python-heatclient>=3", "python-novaclient>=18",
                             "python-neutronclient>=11", "keystoneauth1>=5"]},
    entry_points={"console_scripts": ["vim-emu=emuvim.cli.main:main"]},
)
