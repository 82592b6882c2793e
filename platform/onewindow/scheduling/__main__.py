"""``python -m onewindow.scheduling [--once] [--standby-poll S]``: the scheduler process.

Same command as ``onewindow scheduler``; this entry point also works while the
``onewindow`` group does not yet load the core parts' ``register_commands``
(see handoff/supervision-NOTES.md).
"""

import sys


def main() -> None:
    from onewindow.cli import cli
    from onewindow.scheduling.hooks import scheduler_command

    if "scheduler" not in cli.commands:
        cli.add_command(scheduler_command)
    cli.main(args=["scheduler", *sys.argv[1:]], prog_name="python -m onewindow.scheduling")


if __name__ == "__main__":
    main()
