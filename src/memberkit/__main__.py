from memberkit.cli import main

main()
