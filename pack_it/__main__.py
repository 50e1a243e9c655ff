from pack_it.cli import main

main()
