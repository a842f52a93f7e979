#!/usr/bin/env python
"""Django's command-line utility for Fallkonferenz."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Load the settings before Django's command runner does: it swallows a configuration
        # error and later fails with an unrelated "Models aren't loaded yet".
        settings.INSTALLED_APPS
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
