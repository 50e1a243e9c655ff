from hello_module.server import run

run()
