from setuptools import find_packages, setup

setup(
    name="hello-site",
    version="1.0.0",
    packages=find_packages(),
    install_requires=["waitress==3.0.2"],
    entry_points={"console_scripts": ["hello-site = hello_site.cli:main"]},
)
