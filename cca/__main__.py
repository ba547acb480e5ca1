from cca.cli import main

raise SystemExit(main())
