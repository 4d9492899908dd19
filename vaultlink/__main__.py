from vaultlink.cli import main

main()
