from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.checkpoints import CheckpointError, generate_key
from orders.services.checkpoints import chain_reseal, checkpoint_take, own_verifier
from orders.tasks import schedule_audit_checkpoints


class Command(BaseCommand):
    help = (
        "Sign the audit chain's head and write it to AUDIT_CHECKPOINT_DIR (skipped if the chain "
        "is unchanged). Run it from cron; see docs/deploy.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_mutually_exclusive_group()
        actions.add_argument(
            "--generate-key", type=Path, metavar="PATH", help="Write a new signing key (PEM, 600)."
        )
        actions.add_argument(
            "--public-key", action="store_true", help="Print the verifier key to pin."
        )
        actions.add_argument(
            "--reseal",
            action="store_true",
            help="After a restore: record that the chain was rewound from the newest checkpoint.",
        )
        actions.add_argument(
            "--schedule", action="store_true", help="Start the worker's periodic checkpoints."
        )
        parser.add_argument("--reason", default="", help="Why the chain was rewound (--reseal).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.run(options)
        except CheckpointError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"The checkpoint could not be written: {exc}") from exc

    def run(self, options: dict[str, Any]) -> None:
        if options["generate_key"]:
            path = options["generate_key"]
            generate_key(path)
            self.stdout.write(
                f"Wrote a new signing key to {path}; set AUDIT_SIGNING_KEY_FILE={path}."
            )
        elif options["public_key"]:
            self.stdout.write(str(own_verifier()))
        elif options["reseal"]:
            entry = chain_reseal(reason=options["reason"])
            before, after = entry.before or {}, entry.after or {}
            self.stdout.write(
                f"Recorded the rewind from checkpoint {before.get('checkpoint')} to row "
                f"{after.get('row_count')} as entry #{entry.pk}, and took a new checkpoint."
            )
        elif options["schedule"]:
            own_verifier()
            queued = schedule_audit_checkpoints(delay_s=0)
            self.stdout.write(
                "Queued the worker's periodic checkpoint."
                if queued
                else "The worker's periodic checkpoint is already queued."
            )
        else:
            taken = checkpoint_take()
            self.stdout.write(
                f"Wrote checkpoint {taken.file_name}: {taken.row_count} rows, up to entry "
                f"#{taken.last_id}."
                if taken
                else "Skipped: the chain is empty or has not changed since the last checkpoint."
            )
