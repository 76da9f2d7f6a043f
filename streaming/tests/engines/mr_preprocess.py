"""A map-only mrjob job whose mapper is the `preprocess_image` binary, as a Hadoop
Streaming job would run it (`-mapper preprocess_image`).

    python mr_preprocess.py -r local --binary /path/to/preprocess_image [--parquet] PATHLIST
"""

import shlex

from mrjob.job import MRJob
from mrjob.step import MRStep


class MRPreprocess(MRJob):
    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg("--binary", required=True, help="the preprocess_image binary")
        self.add_passthru_arg("--recipe", default="ct-standard")
        self.add_passthru_arg("--parquet", action="store_true",
                              help="also per-task Parquet tables in the task's output folder")

    def steps(self):
        command = [self.options.binary, "--recipe", self.options.recipe]
        if self.options.parquet:
            command.append("--parquet")
        return [MRStep(mapper_cmd=shlex.join(command))]


if __name__ == "__main__":
    MRPreprocess.run()
