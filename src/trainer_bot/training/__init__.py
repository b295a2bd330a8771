"""Teaching a guild's model: the datasets members give, training jobs, evaluation, and the active model.

`service` starts /train, `evaluation` runs /test, `jobs` runs the blocking work in worker threads,
`catalog` keeps datasets, `parsing` reads what members upload, `active_models` says which model version
answers in each guild, `reports` is how results read in a Discord message, and `charts` draws them
as PNG images.
"""
