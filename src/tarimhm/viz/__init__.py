"""Figure style and saving (:mod:`.figures`) and table writers (:mod:`.tables`): the only place besides the
domains' ``figures.py``/``tables.py`` that may import matplotlib."""
