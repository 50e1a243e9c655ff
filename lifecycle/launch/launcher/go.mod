module pack-it.dev/launcher

go 1.26
