"""Label Studio as a campaign's backend: servers, annotators, labelling configs, projects, views, export, backup."""
