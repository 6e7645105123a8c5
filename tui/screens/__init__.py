"""The console's sections and screens, one module per screen: ``dashboard`` (1), ``containers``
(2), ``profiles`` (3), ``images`` (4), ``services`` (5), ``users`` (6), all but the dashboard
built on ``resource.ResourceSection``; ``help`` is the help screen."""
