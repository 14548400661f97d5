from ringway.cli import main

main()
