"""scripts.start as the command that runs it without npm: node commands, VAR=value, bins,
`npm run x`, and the refusals that say what to write instead."""

from __future__ import annotations

import pytest

from pack_it.detectors.node import scripts
from pack_it.detectors.node.package_json import PackageJson
from pack_it.detectors.node.scripts import Command
from pack_it.errors import PackItError
from tests.detectors.node.helpers import write_tree


def parse(tmp_path, start: str, files: dict | None = None, **fields) -> Command:
    pkg = PackageJson(scripts={"start": start, **fields.pop("scripts", {})}, **fields)
    tree = write_tree(tmp_path, {"package.json": "{}", **(files or {})})
    return scripts.parse(tree, pkg, "start")


def refusal(tmp_path, start: str, **fields) -> PackItError:
    with pytest.raises(PackItError) as err:
        parse(tmp_path, start, **fields)
    return err.value


@pytest.mark.parametrize("start, argv", [
    ("node server.js", ("node", "server.js")),
    ("node --enable-source-maps dist/index.js", ("node", "--enable-source-maps", "dist/index.js")),
    ("node -r dotenv/config ./src/app.js --port 8080", ("node", "-r", "dotenv/config", "./src/app.js", "--port", "8080")),
    ("  node   'my server.js'  ", ("node", "my server.js")),
    ("node .", ("node", ".")),
])
def test_node_commands(tmp_path, start, argv):
    assert parse(tmp_path, start) == Command(argv, "package.json (scripts.start)")


@pytest.mark.parametrize("start, env", [
    ("NODE_ENV=production node x.js", {"NODE_ENV": "production"}),
    ("NODE_ENV=production TZ=UTC node x.js", {"NODE_ENV": "production", "TZ": "UTC"}),
    ("cross-env NODE_ENV=production node x.js", {"NODE_ENV": "production"}),
    ('NODE_OPTIONS="--max-old-space-size=4096" node x.js', {"NODE_OPTIONS": "--max-old-space-size=4096"}),
])
def test_leading_assignments_become_env(tmp_path, start, env):
    command = parse(tmp_path, start)
    assert command.argv == ("node", "x.js")
    assert command.env == env


@pytest.mark.parametrize("start", [
    "node a.js || node b.js",
    "node migrate.js; node server.js",
    "node server.js | pino-pretty",
    "node worker.js & node server.js",
    "node `cat entry`",
    "node server.js > log.txt",
    "node server.js < input",
    "(cd api && node server.js)",
    "node server.js\nnode worker.js",
    "node dist/*.js",
])
def test_what_only_a_shell_runs_is_kept_as_written(tmp_path, start):
    """The detect phase gives it a shell and says so (tests/lifecycle/launch)."""
    command = parse(tmp_path, start)
    assert (command.argv, command.written) == ((), start)


@pytest.mark.parametrize("start, written, argv", [
    ("node server.js --port $PORT", "node server.js --port $PORT", ("node", "server.js", "--port", "$PORT")),
    ('node server.js --name "$APP"', 'node server.js --name "$APP"', ("node", "server.js", "--name", '"$APP"')),
    ("PORT=${PORT:-3000} node server.js", "PORT=${PORT:-3000} node server.js", ("node", "server.js")),
    ("node migrate.js && exec node server.js", "node migrate.js && node server.js", ("node", "server.js")),
    ("cd api && node server.js", "cd api && node server.js", ("node", "server.js")),
    ("echo starting && npx next start", "echo starting && node node_modules/next/dist/bin/next start",
     ("node", "node_modules/next/dist/bin/next", "start")),
])
def test_steps_and_expansions_are_kept_for_the_launcher(tmp_path, start, written, argv):
    command = parse(tmp_path, start, dependencies={"next": "14.2.0"})
    assert (command.written, command.argv) == (written, argv)


def test_an_earlier_npm_run_step_runs_that_script_without_npm(tmp_path):
    command = parse(tmp_path, "npm run migrate && node server.js", scripts={"migrate": "node db/migrate.js"})
    assert command.written == "node db/migrate.js && node server.js"


def test_npm_run_build_before_starting_is_left_to_the_image_build(tmp_path):
    command = parse(tmp_path, "npm run build && node dist/server.js", scripts={"build": "tsc"})
    assert command.argv == ("node", "dist/server.js")
    assert command.warnings == ("scripts.start runs scripts.build before starting; the image build already ran it, "
                                "so the container does not.",)


@pytest.mark.parametrize("text, token", [
    ("node -e 'require(\"./x\") && 1'", None),
    ("node server.js --title 'a|b;c'", None),
    ('node server.js --title "a|b"', None),
    ('node server.js --title "$HOME"', "$"),
    ("node server.js --title '$HOME'", None),
    ("node a\\&\\& b", None),
    ("node a.js >> log", ">"),
    ("node a.js || b", "||"),
])
def test_shell_syntax_outside_quotes(text, token):
    assert scripts.shell_feature(text) == token


@pytest.mark.parametrize("runner", ["ts-node src/index.ts", "tsx watch src/index.ts", "ts-node-dev src/x.ts", "babel-node src/x.js"])
def test_typescript_runners_are_refused_with_an_explanation(tmp_path, runner):
    err = refusal(tmp_path, runner)
    assert err.exit_code == 22
    assert "compiles TypeScript when the app starts" in err.message
    assert "scripts.build" in err.hint and "node dist/index.js" in err.hint


@pytest.mark.parametrize("start", ["vite", "vite preview", "react-scripts start", "ng serve", "vue-cli-service serve"])
def test_dev_servers_are_refused(tmp_path, start):
    err = refusal(tmp_path, start, dev_dependencies={"vite": "5"})
    assert err.exit_code == 22
    assert "a development server or bundler" in err.message


def test_nodemon_with_one_file_becomes_node_with_a_warning(tmp_path):
    command = parse(tmp_path, "nodemon server.js")
    assert command.argv == ("node", "server.js")
    assert command.warnings == ("scripts.start runs nodemon, a file watcher for development; the container "
                                "runs `node server.js` instead.",)


def test_nodemon_with_options_is_refused(tmp_path):
    assert refusal(tmp_path, "nodemon --watch src server.js").exit_code == 22


def test_deno_is_refused(tmp_path):
    err = refusal(tmp_path, "deno run main.ts")
    assert err.exit_code == 22
    assert "runs the app with deno, and pack-it runs JavaScript apps with node or bun" in err.message


def test_bun_is_a_bun_command(tmp_path):
    """`bun x` is bun's own (tests/detectors/node/test_bun.py): not a script to follow or refuse."""
    assert parse(tmp_path, "bun server.ts") == Command(("bun", "server.ts"), "package.json (scripts.start)", bun=True)


@pytest.mark.parametrize("start, package, field, argv", [
    ("next start", "next", "dependencies", ("node", "node_modules/next/dist/bin/next", "start")),
    ("nuxt start", "nuxt", "dependencies", ("node", "node_modules/nuxt/bin/nuxt.mjs", "start")),
    ("fastify start -l info app.js", "fastify-cli", "dependencies",
     ("node", "node_modules/fastify-cli/cli.js", "start", "-l", "info", "app.js")),
    ("remix-serve build/index.js", "@remix-run/serve", "dependencies",
     ("node", "node_modules/@remix-run/serve/dist/cli.js", "build/index.js")),
    ("react-router-serve ./build/server/index.js", "@react-router/serve", "dependencies",
     ("node", "node_modules/@react-router/serve/bin.js", "./build/server/index.js")),
])
def test_known_bins(tmp_path, start, package, field, argv):
    command = parse(tmp_path, start, dependencies={package: "1"})
    assert command.argv == argv
    assert command.warnings == ()


@pytest.mark.parametrize("start", ["npx next start", "node_modules/.bin/next start", "./node_modules/.bin/next start"])
def test_explicit_bin_forms(tmp_path, start):
    command = parse(tmp_path, start, dependencies={"next": "15"})
    assert command.argv == ("node", "node_modules/next/dist/bin/next", "start")


def test_bin_from_a_dev_dependency(tmp_path):
    command = parse(tmp_path, "nest start", dev_dependencies={"@nestjs/cli": "10"})
    assert command.argv == ("node", "node_modules/@nestjs/cli/bin/nest.js", "start")


def test_known_bin_needs_its_package_as_a_dependency(tmp_path):
    err = refusal(tmp_path, "fastify start app.js", dependencies={"fastify": "4"})
    assert err.exit_code == 22
    assert "runs `fastify`, which is not node and not a bin of a dependency" in err.message


def test_a_local_node_modules_is_never_read(tmp_path):
    # The tree's node_modules is a developer's local install, ignored by SourceTree (packs
    # install afresh from the lockfile): the known bin path is used, not the local one.
    files = {"node_modules/fastify-cli/package.json": {"name": "fastify-cli", "bin": {"fastify": "./lib/cli.mjs"}}}
    command = parse(tmp_path, "fastify start app.js", files, dependencies={"fastify-cli": "6"})
    assert command.argv == ("node", "node_modules/fastify-cli/cli.js", "start", "app.js")


def test_a_bin_known_only_to_a_local_node_modules_is_resolved_by_the_build_not_the_local_copy(tmp_path):
    # the developer's node_modules is never read: the build's install provides node_modules/.bin/serve-it
    files = {"node_modules/@acme/serve-it/package.json": {"name": "@acme/serve-it", "bin": "main.js"}}
    command = parse(tmp_path, "serve-it --port 3000", files=files, dependencies={"@acme/serve-it": "1"})
    assert command.argv == ("node", "node_modules/.bin/serve-it", "--port", "3000")


def test_unknown_bin_is_refused(tmp_path):
    err = refusal(tmp_path, "pm2 start ecosystem.config.js", dependencies={"pm2": "5"})
    assert err.exit_code == 22
    assert err.message.startswith("package.json scripts.start ('pm2 start ecosystem.config.js') runs `pm2`")
    assert "node server.js" in err.hint


@pytest.mark.parametrize("start", ["npm run serve", "npm run-script serve", "yarn serve", "yarn run serve",
                                   "pnpm serve", "pnpm run serve", "bun run serve"])
def test_running_another_script_follows_it(tmp_path, start):
    command = parse(tmp_path, start, scripts={"serve": "NODE_ENV=production node dist/server.js"})
    assert command == Command(("node", "dist/server.js"), "package.json (scripts.serve via scripts.start)",
                              {"NODE_ENV": "production"}, bun=start.startswith("bun"))  # bun runs it: a Bun app


def test_running_a_missing_script(tmp_path):
    err = refusal(tmp_path, "npm run serve")
    assert err.exit_code == 22
    assert "runs scripts.serve, which package.json does not define" in err.message


def test_scripts_running_each_other_in_a_loop(tmp_path):
    err = refusal(tmp_path, "npm run a", scripts={"a": "npm run b", "b": "npm run a"})
    assert err.exit_code == 22
    assert "more than 5 deep" in err.message


def test_only_assignments(tmp_path):
    err = refusal(tmp_path, "NODE_ENV=production")
    assert err.exit_code == 22
    assert "runs no command" in err.message


def test_unbalanced_quotes_are_invalid_input(tmp_path):
    err = refusal(tmp_path, "node 'server.js")
    assert err.exit_code == 21
    assert err.message.startswith("package.json scripts.start cannot be split into words")


def test_an_unknown_bin_of_a_dependency_is_resolved_at_build_time(tmp_path):
    from pack_it.detectors.node import detect
    from tests.detectors.node.helpers import app as node_app, versions

    tree = node_app(tmp_path, {"name": "f", "scripts": {"start": "functions-framework --target=helloWorld"},
                               "dependencies": {"@google-cloud/functions-framework": "3.4.2"}}, {"index.js": ""})
    found = detect(tree, None, versions)
    assert found.processes[0].command == ("node", "node_modules/.bin/functions-framework", "--target=helloWorld")
    assert any("resolved at build time" in w for w in found.warnings)


def test_an_unknown_command_with_no_dependencies_is_still_refused(tmp_path):
    import pytest as _pytest

    from pack_it.detectors.node import detect
    from pack_it.errors import PackItError
    from tests.detectors.node.helpers import app as node_app, versions

    tree = node_app(tmp_path, {"name": "f", "scripts": {"start": "serve-my-app"}}, {"index.js": ""})
    with _pytest.raises(PackItError):
        detect(tree, None, versions)
