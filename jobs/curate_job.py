"""spark-submit entry point: `curate run` on the Spark engine, with the same flags.

    spark-submit --master spark://host:7077 --py-files dist/curate.zip jobs/curate_job.py \
        --recipe fineweb --input /data/crawl/warc.paths.gz --output /shared/out

The SparkSession comes from spark-submit (its --master and --conf); nothing else differs from
`curate run --engine spark`.
"""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "--engine", "spark", "--no-progress", *sys.argv[1:]]))
