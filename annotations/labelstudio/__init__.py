"""Label Studio campaigns: the server, labelling configs, tasks, export and import."""
