"""Content as files, both ways: the content the bot answers with exported as YAML or XLSX,
and such a file imported back, validated whole, and published as one version.

    trolyso content export --format yaml|xlsx --output PATH
    trolyso content import PATH [--dry-run]

and the same as download and upload in the console (/admin/content/files). The layout of
both formats is described in as_yaml.py and as_xlsx.py and in README.md (CLI).
"""
