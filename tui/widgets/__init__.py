"""Shared TUI components, one per module: ``safe`` (untrusted text as plain, escaped text),
``format`` (cell formatting), ``resource_table`` (a sortable table updated by diff),
``detail_pane``, ``form`` (a modal form validated with core's rules) and ``confirm`` (a yes/no
modal). The dashboard's panels are the ``dashboard_*`` modules."""
